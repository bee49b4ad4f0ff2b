/*
 * Entering and leaving guest code; the contract is in harness.c.
 *
 * Guest code runs on the host thread with every general register its own,
 * so the host's callee-saved registers, RSP and RFLAGS wait on the host stack
 * (and host_rsp points at them) until the guest reaches the terminator or the
 * signal handler redirects a faulting guest to oracle_recover.
 */
        .intel_syntax noprefix

/*
 * Offsets into struct cpu_state (harness.c checks them with _Static_assert).
 * The prefix matters: in Intel syntax a bare RAX here would be the register.
 */
        .set    CPU_RAX, 0x00
        .set    CPU_RCX, 0x08
        .set    CPU_RDX, 0x10
        .set    CPU_RBX, 0x18
        .set    CPU_RSP, 0x20
        .set    CPU_RBP, 0x28
        .set    CPU_RSI, 0x30
        .set    CPU_RDI, 0x38
        .set    CPU_R8,  0x40
        .set    CPU_R9,  0x48
        .set    CPU_R10, 0x50
        .set    CPU_R11, 0x58
        .set    CPU_R12, 0x60
        .set    CPU_R13, 0x68
        .set    CPU_R14, 0x70
        .set    CPU_R15, 0x78
        .set    CPU_RFL, 0x80

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
        push    qword ptr [rax + CPU_RFL]   /* harness.c has masked these to status flags + DF */
        popfq                           /* from here on, no flag-writing instruction */
        mov     rcx, [rax + CPU_RCX]
        mov     rdx, [rax + CPU_RDX]
        mov     rbx, [rax + CPU_RBX]
        mov     rsp, [rax + CPU_RSP]
        mov     rbp, [rax + CPU_RBP]
        mov     rsi, [rax + CPU_RSI]
        mov     rdi, [rax + CPU_RDI]
        mov     r8,  [rax + CPU_R8]
        mov     r9,  [rax + CPU_R9]
        mov     r10, [rax + CPU_R10]
        mov     r11, [rax + CPU_R11]
        mov     r12, [rax + CPU_R12]
        mov     r13, [rax + CPU_R13]
        mov     r14, [rax + CPU_R14]
        mov     r15, [rax + CPU_R15]
        mov     rax, [rax + CPU_RAX]
        /* From here until oracle_exit clears it, a fault or a timer tick is the guest's. */
        mov     byte ptr [rip + oracle_in_guest], 1
        jmp     qword ptr [rip + code_entry]
        .size   oracle_run, . - oracle_run

/* The terminator after the guest code jumps here with the guest's registers and flags live. */
        .globl  oracle_exit
        .type   oracle_exit, @function
oracle_exit:
        mov     byte ptr [rip + oracle_in_guest], 0
        mov     [rip + oracle_cpu + CPU_RAX], rax
        mov     [rip + oracle_cpu + CPU_RCX], rcx
        mov     [rip + oracle_cpu + CPU_RDX], rdx
        mov     [rip + oracle_cpu + CPU_RBX], rbx
        mov     [rip + oracle_cpu + CPU_RSP], rsp
        mov     [rip + oracle_cpu + CPU_RBP], rbp
        mov     [rip + oracle_cpu + CPU_RSI], rsi
        mov     [rip + oracle_cpu + CPU_RDI], rdi
        mov     [rip + oracle_cpu + CPU_R8],  r8
        mov     [rip + oracle_cpu + CPU_R9],  r9
        mov     [rip + oracle_cpu + CPU_R10], r10
        mov     [rip + oracle_cpu + CPU_R11], r11
        mov     [rip + oracle_cpu + CPU_R12], r12
        mov     [rip + oracle_cpu + CPU_R13], r13
        mov     [rip + oracle_cpu + CPU_R14], r14
        mov     [rip + oracle_cpu + CPU_R15], r15
        mov     rsp, [rip + host_rsp]   /* the guest's RSP may point anywhere */
        pushfq                          /* still the guest's flags: nothing above writes any */
        pop     qword ptr [rip + oracle_cpu + CPU_RFL]
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
