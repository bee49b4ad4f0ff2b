/*
 * Entering and leaving guest code; the contract is in harness.c.
 *
 * Guest code runs on the host thread with every general register its own,
 * so the host's callee-saved registers, RSP and RFLAGS wait on the host stack
 * (and host_rsp points at them) until the guest reaches the terminator or the
 * signal handler redirects a faulting guest to oracle_recover.
 */
        .intel_syntax noprefix

/* Offsets into struct cpu_state (harness.c checks them with _Static_assert). */
        .set    RAX, 0x00
        .set    RCX, 0x08
        .set    RDX, 0x10
        .set    RBX, 0x18
        .set    RSP, 0x20
        .set    RBP, 0x28
        .set    RSI, 0x30
        .set    RDI, 0x38
        .set    R8,  0x40
        .set    R9,  0x48
        .set    R10, 0x50
        .set    R11, 0x58
        .set    R12, 0x60
        .set    R13, 0x68
        .set    R14, 0x70
        .set    R15, 0x78
        .set    RFL, 0x80

        .section .rodata
        .p2align 3
code_entry:
        .quad   0x20000000              /* too far from our PIE text for a rel32 jump */

        .bss
        .p2align 3
host_rsp:
        .zero   8

        .text

/* void oracle_run(void): run the guest from oracle_cpu; the results land there too. */
        .globl  oracle_run
        .type   oracle_run, @function
oracle_run:
        push    rbx
        push    rbp
        push    r12
        push    r13
        push    r14
        push    r15
        pushfq                          /* host RFLAGS: DF=0, AC=0 as the ABI wants */
        mov     [rip + host_rsp], rsp

        lea     rax, [rip + oracle_cpu]
        push    qword ptr [rax + RFL]   /* harness.c has masked these to status flags + DF */
        popfq                           /* from here on, no flag-writing instruction */
        mov     rcx, [rax + RCX]
        mov     rdx, [rax + RDX]
        mov     rbx, [rax + RBX]
        mov     rsp, [rax + RSP]
        mov     rbp, [rax + RBP]
        mov     rsi, [rax + RSI]
        mov     rdi, [rax + RDI]
        mov     r8,  [rax + R8]
        mov     r9,  [rax + R9]
        mov     r10, [rax + R10]
        mov     r11, [rax + R11]
        mov     r12, [rax + R12]
        mov     r13, [rax + R13]
        mov     r14, [rax + R14]
        mov     r15, [rax + R15]
        mov     rax, [rax + RAX]
        /* From here until oracle_exit clears it, a fault or a timer tick is the guest's. */
        mov     byte ptr [rip + oracle_in_guest], 1
        jmp     qword ptr [rip + code_entry]
        .size   oracle_run, . - oracle_run

/* The terminator after the guest code jumps here with the guest's registers and flags live. */
        .globl  oracle_exit
        .type   oracle_exit, @function
oracle_exit:
        mov     byte ptr [rip + oracle_in_guest], 0
        mov     [rip + oracle_cpu + RAX], rax
        mov     [rip + oracle_cpu + RCX], rcx
        mov     [rip + oracle_cpu + RDX], rdx
        mov     [rip + oracle_cpu + RBX], rbx
        mov     [rip + oracle_cpu + RSP], rsp
        mov     [rip + oracle_cpu + RBP], rbp
        mov     [rip + oracle_cpu + RSI], rsi
        mov     [rip + oracle_cpu + RDI], rdi
        mov     [rip + oracle_cpu + R8],  r8
        mov     [rip + oracle_cpu + R9],  r9
        mov     [rip + oracle_cpu + R10], r10
        mov     [rip + oracle_cpu + R11], r11
        mov     [rip + oracle_cpu + R12], r12
        mov     [rip + oracle_cpu + R13], r13
        mov     [rip + oracle_cpu + R14], r14
        mov     [rip + oracle_cpu + R15], r15
        mov     rsp, [rip + host_rsp]   /* the guest's RSP may point anywhere */
        pushfq                          /* still the guest's flags: nothing above writes any */
        pop     qword ptr [rip + oracle_cpu + RFL]
        /* fall through */

/* The signal handler resumes a faulted guest here, with in_guest already cleared. */
        .globl  oracle_recover
oracle_recover:
        mov     rsp, [rip + host_rsp]
        popfq                           /* host RFLAGS: clears any DF, AC or TF the guest set */
        pop     r15
        pop     r14
        pop     r13
        pop     r12
        pop     rbp
        pop     rbx
        ret
        .size   oracle_exit, . - oracle_exit

        .section .note.GNU-stack, "", @progbits
