/*
 * Native oracle: runs x86-64 instruction vectors on the host CPU and prints
 * the architectural state they end in, for differential tests of the emulator.
 * Build: gcc -O2 -o harness harness.c trampoline.S
 *
 * Protocol: one vector per line on stdin, one result per line on stdout, in
 * the same order. Fields are separated by one space; numbers are lowercase hex
 * without "0x"; byte strings are two hex digits per byte, "-" when empty.
 *
 *   in:  CODE RAX RCX RDX RBX RSP RBP RSI RDI R8 R9 R10 R11 R12 R13 R14 R15 RFLAGS DATA
 *   out: FAULT ERR ADDR RIP RAX RCX RDX RBX RSP RBP RSI RDI R8 ... R15 RFLAGS DATA
 *
 * CODE is at most 64 bytes, DATA at most 256. Only CF PF AF ZF SF OF DF of the
 * input RFLAGS reach the guest. FAULT is "-" if the guest ran off the end of
 * CODE, "timeout" if it ran for 10-20 ms of CPU time, else the exception
 * vector (e.g. "e" for #PF). ERR is its error code and ADDR the faulting
 * address (CR2, for #PF only), both 0 otherwise. RIP and the registers are
 * where the guest stopped: at the end of CODE, at the faulting instruction,
 * or after a trap such as int3. RFLAGS is raw (IF is always set; the CPU
 * sets RF in the image of a fault). DATA is the data buffer afterwards, as
 * long as it was on input. A malformed line ends the process with status 2.
 *
 * Guest memory, at fixed addresses so that registers may point into it, and
 * set up afresh for every vector:
 *   0x20000000  code page (RWX): CODE, then a terminator (jmp to oracle_exit),
 *               the rest of the page int3 (0xcc);
 *   0x10000000  data page (RW): DATA, the rest of the page zero;
 *   0x30000000  stack, 64 KiB (RW), all zero.
 * Everything else the guest touches is the harness process itself: vectors
 * must not make system calls or load segment registers.
 */
#define _GNU_SOURCE
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/time.h>
#include <ucontext.h>

#define CODE_BASE  0x20000000UL
#define CODE_SIZE  0x1000UL
#define DATA_BASE  0x10000000UL
#define DATA_SIZE  0x1000UL
#define STACK_LO   0x30000000UL
#define STACK_HI   0x30010000UL

#define MAX_CODE   64
#define MAX_DATA   256

/* RFLAGS bits (SDM Vol. 1 §3.4.3). */
#define FL_TF      0x100UL
#define FL_DF      0x400UL
#define FL_AC      0x40000UL
#define GUEST_FLAGS 0xcd5UL     /* CF PF AF ZF SF OF DF: never TF, AC or the like */

/* How long a guest may run, in CPU time, before it counts as hung: 1-2 ticks. */
#define TICK_USEC  10000

#define FAULT_NONE    (-1)
#define FAULT_TIMEOUT (-2)

/* Shared with trampoline.S, which hard-codes these offsets. */
struct cpu_state {
    uint64_t gpr[16];           /* RAX RCX RDX RBX RSP RBP RSI RDI R8..R15 */
    uint64_t rflags;
};
_Static_assert(offsetof(struct cpu_state, gpr[4]) == 0x20, "trampoline.S offsets");
_Static_assert(offsetof(struct cpu_state, rflags) == 0x80, "trampoline.S offsets");

struct cpu_state oracle_cpu;
volatile uint8_t oracle_in_guest;
void oracle_run(void);
void oracle_exit(void);
void oracle_recover(void);

struct vector {
    uint8_t code[MAX_CODE];
    size_t code_len;
    struct cpu_state cpu;
    uint8_t data[MAX_DATA];
    size_t data_len;
};

/* How the current guest stopped; written by the signal handlers. */
static volatile struct {
    int fault;
    uint64_t err, addr, rip;
} stop;

/* Bumped per vector, so the watchdog can tell one long run from two short ones. */
static volatile unsigned long vector_seq;

/* ucontext register slots, in our (x86 encoding) order. */
static const int greg_slot[16] = {
    REG_RAX, REG_RCX, REG_RDX, REG_RBX, REG_RSP, REG_RBP, REG_RSI, REG_RDI,
    REG_R8, REG_R9, REG_R10, REG_R11, REG_R12, REG_R13, REG_R14, REG_R15,
};

/* Record the guest state in uc and make the signal return into oracle_recover. */
static void abandon_guest(ucontext_t *uc, int fault)
{
    greg_t *g = uc->uc_mcontext.gregs;

    for (int i = 0; i < 16; i++)
        oracle_cpu.gpr[i] = (uint64_t)g[greg_slot[i]];
    oracle_cpu.rflags = (uint64_t)g[REG_EFL];
    stop.fault = fault;
    stop.rip = (uint64_t)g[REG_RIP];
    if (fault >= 0) {
        stop.err = (uint64_t)g[REG_ERR];
        /* The kernel only updates CR2 on #PF; otherwise it is stale. */
        stop.addr = fault == 14 ? (uint64_t)g[REG_CR2] : 0;
    }
    oracle_in_guest = 0;
    g[REG_RIP] = (greg_t)(uintptr_t)oracle_recover;
    g[REG_EFL] &= ~(greg_t)(FL_TF | FL_DF | FL_AC);
}

static void on_fault(int sig, siginfo_t *si, void *ctx)
{
    (void)si;
    if (!oracle_in_guest) {
        /* A bug in the harness itself: die of it (delivered once we return). */
        signal(sig, SIG_DFL);
        raise(sig);
        return;
    }
    abandon_guest(ctx, (int)((ucontext_t *)ctx)->uc_mcontext.gregs[REG_TRAPNO]);
}

static void on_tick(int sig, siginfo_t *si, void *ctx)
{
    static unsigned long seen;

    (void)sig, (void)si;
    if (oracle_in_guest && seen == vector_seq)
        abandon_guest(ctx, FAULT_TIMEOUT);
    seen = vector_seq;
}

static void die(const char *what)
{
    perror(what);
    exit(1);
}

static void map_fixed(uintptr_t addr, size_t len, int prot)
{
    void *p = mmap((void *)addr, len, prot,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
    if (p != (void *)addr)
        die("mmap guest memory");
}

static void install_handlers(void)
{
    /* The guest's RSP is arbitrary, so handlers need a stack of their own. */
    static uint8_t altstack[1 << 16];
    stack_t ss = { .ss_sp = altstack, .ss_size = sizeof altstack };
    if (sigaltstack(&ss, NULL))
        die("sigaltstack");

    struct sigaction sa = { .sa_sigaction = on_fault, .sa_flags = SA_SIGINFO | SA_ONSTACK };
    sigfillset(&sa.sa_mask);
    const int faults[] = { SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGTRAP };
    for (size_t i = 0; i < sizeof faults / sizeof faults[0]; i++)
        if (sigaction(faults[i], &sa, NULL))
            die("sigaction");

    /* Virtual time only advances while we run, so a busy machine is no hang. */
    sa.sa_sigaction = on_tick;
    sa.sa_flags |= SA_RESTART;
    if (sigaction(SIGVTALRM, &sa, NULL))
        die("sigaction");
    struct itimerval tick = { { 0, TICK_USEC }, { 0, TICK_USEC } };
    if (setitimer(ITIMER_VIRTUAL, &tick, NULL))
        die("setitimer");
}

static int hex_digit(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* Parse a byte string into out; returns its length, or -1 if malformed. */
static long parse_bytes(const char *s, uint8_t *out, size_t max)
{
    if (strcmp(s, "-") == 0)
        return 0;
    size_t n = strlen(s);
    if (n == 0 || n % 2 || n / 2 > max)
        return -1;
    for (size_t i = 0; i < n / 2; i++) {
        int hi = hex_digit(s[2 * i]), lo = hex_digit(s[2 * i + 1]);
        if (hi < 0 || lo < 0)
            return -1;
        out[i] = (uint8_t)(hi << 4 | lo);
    }
    return (long)(n / 2);
}

static int parse_u64(const char *s, uint64_t *out)
{
    uint64_t v = 0;
    size_t n = strlen(s);
    if (n == 0 || n > 16)
        return 0;
    for (size_t i = 0; i < n; i++) {
        int d = hex_digit(s[i]);
        if (d < 0)
            return 0;
        v = v << 4 | (uint64_t)d;
    }
    *out = v;
    return 1;
}

static int parse_vector(char *line, struct vector *v)
{
    char *field[19], *save = NULL;
    int n = 0;
    for (char *t = strtok_r(line, " \t\r\n", &save); t; t = strtok_r(NULL, " \t\r\n", &save)) {
        if (n == 19)
            return 0;
        field[n++] = t;
    }
    if (n != 19)
        return 0;
    long code_len = parse_bytes(field[0], v->code, MAX_CODE);
    long data_len = parse_bytes(field[18], v->data, MAX_DATA);
    if (code_len < 0 || data_len < 0)
        return 0;
    v->code_len = (size_t)code_len;
    v->data_len = (size_t)data_len;
    for (int i = 0; i < 16; i++)
        if (!parse_u64(field[1 + i], &v->cpu.gpr[i]))
            return 0;
    return parse_u64(field[17], &v->cpu.rflags);
}

static void run(const struct vector *v)
{
    uint8_t *code = (uint8_t *)CODE_BASE;
    memset(code, 0xcc, CODE_SIZE);
    memcpy(code, v->code, v->code_len);
    /* Terminator: jmp qword [rip+0] with the target right after it; it touches no register or flag. */
    uint8_t *t = code + v->code_len;
    uint64_t exit_addr = (uint64_t)(uintptr_t)oracle_exit;
    memcpy(t, "\xff\x25\0\0\0\0", 6);
    memcpy(t + 6, &exit_addr, 8);

    memset((void *)DATA_BASE, 0, DATA_SIZE);
    memcpy((void *)DATA_BASE, v->data, v->data_len);
    memset((void *)STACK_LO, 0, STACK_HI - STACK_LO);

    oracle_cpu = v->cpu;
    oracle_cpu.rflags &= GUEST_FLAGS;
    stop.fault = FAULT_NONE;
    stop.err = stop.addr = 0;
    stop.rip = CODE_BASE + v->code_len;
    vector_seq++;
    oracle_run();
}

static void put_hex(uint64_t x)
{
    printf(" %llx", (unsigned long long)x);
}

static void put_bytes(const uint8_t *p, size_t n)
{
    static const char digits[] = "0123456789abcdef";
    putchar(' ');
    if (n == 0)
        putchar('-');
    for (size_t i = 0; i < n; i++) {
        putchar(digits[p[i] >> 4]);
        putchar(digits[p[i] & 15]);
    }
}

static void report(const struct vector *v)
{
    if (stop.fault == FAULT_NONE)
        fputs("-", stdout);
    else if (stop.fault == FAULT_TIMEOUT)
        fputs("timeout", stdout);
    else
        printf("%x", stop.fault);
    put_hex(stop.err);
    put_hex(stop.addr);
    put_hex(stop.rip);
    for (int i = 0; i < 16; i++)
        put_hex(oracle_cpu.gpr[i]);
    put_hex(oracle_cpu.rflags);
    put_bytes((const uint8_t *)DATA_BASE, v->data_len);
    putchar('\n');
}

int main(void)
{
    map_fixed(CODE_BASE, CODE_SIZE, PROT_READ | PROT_WRITE | PROT_EXEC);
    map_fixed(DATA_BASE, DATA_SIZE, PROT_READ | PROT_WRITE);
    map_fixed(STACK_LO, STACK_HI - STACK_LO, PROT_READ | PROT_WRITE);
    install_handlers();

    static struct vector v;
    char *line = NULL;
    size_t cap = 0;
    for (unsigned long lineno = 1; getline(&line, &cap, stdin) > 0; lineno++) {
        if (!parse_vector(line, &v)) {
            fprintf(stderr, "harness: malformed vector on line %lu\n", lineno);
            return 2;
        }
        run(&v);
        report(&v);
    }
    free(line);
    return fflush(stdout) ? 1 : 0;
}
