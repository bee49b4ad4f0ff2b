/*
 * Switch statements in their different code shapes:
 *   - a dense 22-case switch with distinct bodies (gcc emits an indirect
 *     jump through a table of absolute addresses in .rodata);
 *   - a switch that only selects constants (gcc turns it into a data
 *     table load, "switch conversion");
 *   - a sparse switch (compare/branch tree);
 * and a tiny stack-machine: a tokenizer and assembler for a textual
 * assembly language, plus a bytecode interpreter whose dispatch is a
 * 24-way switch.
 */
#include <stdint.h>

#include "compiler.h"
#include "fmt.h"
#include "mem.h"

/* ---- dense switch with distinct bodies -> jump table ---- */

static NOINLINE int64_t dense(int op, int64_t a, int64_t b)
{
	switch (op) {
	case 0:  return a + b;
	case 1:  return a - b;
	case 2:  return a * b;
	case 3:  return b ? a / b : 0;
	case 4:  return b ? a % b : 0;
	case 5:  return a & b;
	case 6:  return a | b;
	case 7:  return a ^ b;
	case 8:  return (int64_t)((uint64_t)a << (b & 63));
	case 9:  return (int64_t)((uint64_t)a >> (b & 63));
	case 10: return a >> (b & 63);
	case 11: return a < b;
	case 12: return a == b;
	case 13: return -a;
	case 14: return ~a;
	case 15: return a > b ? a : b;
	case 16: return a < b ? a : b;
	case 17: return a * 3 + b * 5;
	case 18: return (a + b) / 2;
	case 19: return a * a - b;
	case 20: return (a ^ (a >> 7)) + b;
	case 21: return a ? b / 3 : b * 7;
	default: return -1000 - op;
	}
}

/* ---- constants only -> table lookup ---- */

static NOINLINE const char *day_name(int d)
{
	switch (d) {
	case 0: return "Sunday";
	case 1: return "Monday";
	case 2: return "Tuesday";
	case 3: return "Wednesday";
	case 4: return "Thursday";
	case 5: return "Friday";
	case 6: return "Saturday";
	default: return "?";
	}
}

/* ---- sparse switch -> compare tree ---- */

static NOINLINE int sparse(uint32_t v)
{
	switch (v) {
	case 1:          return 10;
	case 7:          return 20;
	case 100:        return 30;
	case 1000:       return 40;
	case 4096:       return 50;
	case 65535:      return 60;
	case 100000:     return 70;
	case 0x7fffffff: return 80;
	case 0x80000000: return 90;
	case 0xffffffff: return 100;
	default:         return 0;
	}
}

/* ---- the stack machine ---- */

enum opcode {
	OP_HALT, OP_PUSH, OP_DROP, OP_DUP, OP_SWAP, OP_OVER, OP_ADD, OP_SUB,
	OP_MUL, OP_DIV, OP_MOD, OP_NEG, OP_LT, OP_LE, OP_EQ, OP_NOT, OP_JMP,
	OP_JZ, OP_JNZ, OP_LOAD, OP_STORE, OP_PRINT, OP_CALL, OP_RET,
	OP_COUNT
};

static const struct {
	const char *name;
	int has_operand;
} ops[OP_COUNT] = {
	[OP_HALT] = { "halt", 0 },   [OP_PUSH] = { "push", 1 },
	[OP_DROP] = { "drop", 0 },   [OP_DUP] = { "dup", 0 },
	[OP_SWAP] = { "swap", 0 },   [OP_OVER] = { "over", 0 },
	[OP_ADD] = { "add", 0 },     [OP_SUB] = { "sub", 0 },
	[OP_MUL] = { "mul", 0 },     [OP_DIV] = { "div", 0 },
	[OP_MOD] = { "mod", 0 },     [OP_NEG] = { "neg", 0 },
	[OP_LT] = { "lt", 0 },       [OP_LE] = { "le", 0 },
	[OP_EQ] = { "eq", 0 },       [OP_NOT] = { "not", 0 },
	[OP_JMP] = { "jmp", 1 },     [OP_JZ] = { "jz", 1 },
	[OP_JNZ] = { "jnz", 1 },     [OP_LOAD] = { "load", 1 },
	[OP_STORE] = { "store", 1 }, [OP_PRINT] = { "print", 0 },
	[OP_CALL] = { "call", 1 },   [OP_RET] = { "ret", 0 },
};

/* Tokenizer: identifiers, integers, ':' and newlines; ';' starts a comment. */

enum token_kind { T_EOF, T_IDENT, T_NUMBER, T_COLON, T_NEWLINE, T_ERROR };

struct token {
	enum token_kind kind;
	char text[16];
	int64_t value;
};

struct lexer {
	const char *p;
	int line;
};

enum char_class { C_SPACE, C_ALPHA, C_DIGIT, C_OTHER };

static enum char_class char_class(char c)
{
	switch (c) {
	case ' ': case '\t': case '\r':
		return C_SPACE;
	case '0': case '1': case '2': case '3': case '4':
	case '5': case '6': case '7': case '8': case '9':
		return C_DIGIT;
	case '_':
		return C_ALPHA;
	default:
		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))
			return C_ALPHA;
		return C_OTHER;
	}
}

static struct token next_token(struct lexer *lx)
{
	struct token t = { T_EOF, "", 0 };

	for (;;) {
		char c = *lx->p;
		switch (char_class(c)) {
		case C_SPACE:
			lx->p++;
			continue;
		case C_ALPHA: {
			size_t n = 0;
			while (char_class(*lx->p) == C_ALPHA ||
			       char_class(*lx->p) == C_DIGIT) {
				if (n + 1 < sizeof(t.text))
					t.text[n++] = *lx->p;
				lx->p++;
			}
			t.text[n] = '\0';
			t.kind = T_IDENT;
			return t;
		}
		case C_DIGIT:
			while (char_class(*lx->p) == C_DIGIT)
				t.value = t.value * 10 + (*lx->p++ - '0');
			t.kind = T_NUMBER;
			return t;
		case C_OTHER:
			switch (c) {
			case '\0':
				return t;
			case ';':
				while (*lx->p && *lx->p != '\n')
					lx->p++;
				continue;
			case '\n':
				lx->p++;
				lx->line++;
				t.kind = T_NEWLINE;
				return t;
			case ':':
				lx->p++;
				t.kind = T_COLON;
				return t;
			case '-':
				/* Negative literal. */
				lx->p++;
				t = next_token(lx);
				t.value = -t.value;
				return t;
			default:
				lx->p++;
				t.kind = T_ERROR;
				t.text[0] = c;
				return t;
			}
		}
	}
}

/* Two-pass assembler: labels may be used before they are defined. */

#define MAX_CODE 512
#define MAX_LABELS 32

struct program {
	int32_t code[MAX_CODE];
	int len;
};

struct label {
	char name[16];
	int addr;
};

static int find_opcode(const char *name)
{
	for (int i = 0; i < OP_COUNT; i++)
		if (strcmp(ops[i].name, name) == 0)
			return i;
	return -1;
}

static int assemble(const char *src, struct program *prog)
{
	struct label labels[MAX_LABELS];
	int nlabels = 0;

	for (int pass = 0; pass < 2; pass++) {
		struct lexer lx = { src, 1 };
		prog->len = 0;
		for (;;) {
			struct token t = next_token(&lx);
			if (t.kind == T_EOF)
				break;
			if (t.kind == T_NEWLINE)
				continue;
			if (t.kind != T_IDENT) {
				fmt("line %d: syntax error\n", lx.line);
				return -1;
			}
			struct lexer save = lx; /* one token of lookahead */
			struct token t2 = next_token(&lx);
			if (t2.kind == T_COLON) {
				if (pass == 0 && nlabels < MAX_LABELS) {
					memcpy(labels[nlabels].name, t.text,
					       sizeof(t.text));
					labels[nlabels++].addr = prog->len;
				}
				continue;
			}
			lx = save;
			int op = find_opcode(t.text);
			if (op < 0) {
				fmt("line %d: unknown opcode %s\n", lx.line, t.text);
				return -1;
			}
			prog->code[prog->len++] = op;
			if (!ops[op].has_operand)
				continue;
			struct token arg = next_token(&lx);
			int32_t value = 0;
			if (arg.kind == T_NUMBER) {
				value = (int32_t)arg.value;
			} else if (arg.kind == T_IDENT && pass == 1) {
				int found = 0;
				for (int i = 0; i < nlabels; i++)
					if (strcmp(labels[i].name, arg.text) == 0) {
						value = labels[i].addr;
						found = 1;
					}
				if (!found) {
					fmt("line %d: unknown label %s\n", lx.line,
					    arg.text);
					return -1;
				}
			}
			prog->code[prog->len++] = value;
		}
	}
	return 0;
}

/* Interpreter.  Returns the number of instructions executed. */

struct vm {
	int64_t stack[64];
	int sp;
	int32_t rstack[32];
	int rsp;
	int64_t mem[16];
};

static long run(const struct program *prog)
{
	struct vm vm;
	int pc = 0;
	long steps = 0;
	int64_t a, b;

	memset(&vm, 0, sizeof(vm));
#define PUSH(v) (vm.stack[vm.sp++] = (v))
#define POP() (vm.stack[--vm.sp])
	for (;;) {
		int op = prog->code[pc++];
		steps++;
		switch (op) {
		case OP_HALT:
			return steps;
		case OP_PUSH:
			PUSH(prog->code[pc++]);
			break;
		case OP_DROP:
			vm.sp--;
			break;
		case OP_DUP:
			a = vm.stack[vm.sp - 1];
			PUSH(a);
			break;
		case OP_SWAP:
			a = vm.stack[vm.sp - 1];
			vm.stack[vm.sp - 1] = vm.stack[vm.sp - 2];
			vm.stack[vm.sp - 2] = a;
			break;
		case OP_OVER:
			a = vm.stack[vm.sp - 2];
			PUSH(a);
			break;
		case OP_ADD: b = POP(); a = POP(); PUSH(a + b); break;
		case OP_SUB: b = POP(); a = POP(); PUSH(a - b); break;
		case OP_MUL: b = POP(); a = POP(); PUSH(a * b); break;
		case OP_DIV: b = POP(); a = POP(); PUSH(b ? a / b : 0); break;
		case OP_MOD: b = POP(); a = POP(); PUSH(b ? a % b : 0); break;
		case OP_NEG: a = POP(); PUSH(-a); break;
		case OP_LT: b = POP(); a = POP(); PUSH(a < b); break;
		case OP_LE: b = POP(); a = POP(); PUSH(a <= b); break;
		case OP_EQ: b = POP(); a = POP(); PUSH(a == b); break;
		case OP_NOT: a = POP(); PUSH(!a); break;
		case OP_JMP:
			pc = prog->code[pc];
			break;
		case OP_JZ:
			a = POP();
			pc = a ? pc + 1 : prog->code[pc];
			break;
		case OP_JNZ:
			a = POP();
			pc = a ? prog->code[pc] : pc + 1;
			break;
		case OP_LOAD:
			PUSH(vm.mem[prog->code[pc++] & 15]);
			break;
		case OP_STORE:
			vm.mem[prog->code[pc++] & 15] = POP();
			break;
		case OP_PRINT:
			fmt("  vm: %ld\n", POP());
			break;
		case OP_CALL:
			vm.rstack[vm.rsp++] = pc + 1;
			pc = prog->code[pc];
			break;
		case OP_RET:
			pc = vm.rstack[--vm.rsp];
			break;
		default:
			fmt("  vm: bad opcode %d at %d\n", op, pc - 1);
			return -steps;
		}
	}
#undef PUSH
#undef POP
}

static const char factorial_src[] =
	"; 20! in a loop\n"
	"        push 1\n"
	"        store 0          ; acc\n"
	"        push 20\n"
	"        store 1          ; n\n"
	"loop:   load 1\n"
	"        jz done\n"
	"        load 0\n"
	"        load 1\n"
	"        mul\n"
	"        store 0\n"
	"        load 1\n"
	"        push 1\n"
	"        sub\n"
	"        store 1\n"
	"        jmp loop\n"
	"done:   load 0\n"
	"        print\n"
	"        halt\n";

static const char gcd_src[] =
	"; gcd through a subroutine, called twice\n"
	"        push 1071\n"
	"        push 462\n"
	"        call gcd\n"
	"        print\n"
	"        push -123456\n"
	"        push 7890\n"
	"        call gcd\n"
	"        print\n"
	"        halt\n"
	"gcd:    dup              ; ( a b -- g )\n"
	"        jz gcd_done\n"
	"        swap\n"
	"        over\n"
	"        mod\n"
	"        jmp gcd\n"
	"gcd_done:\n"
	"        drop\n"
	"        ret\n";

static const char primes_src[] =
	"; count and sum the primes below 500 by trial division\n"
	"        push 2\n"
	"        store 0          ; n\n"
	"        push 0\n"
	"        store 1          ; count\n"
	"        push 0\n"
	"        store 2          ; sum\n"
	"outer:  load 0\n"
	"        push 500\n"
	"        lt\n"
	"        jz finish\n"
	"        push 2\n"
	"        store 3          ; d\n"
	"inner:  load 3\n"
	"        load 3\n"
	"        mul\n"
	"        load 0\n"
	"        le               ; d*d <= n ?\n"
	"        jz prime\n"
	"        load 0\n"
	"        load 3\n"
	"        mod\n"
	"        jz next\n"
	"        load 3\n"
	"        push 1\n"
	"        add\n"
	"        store 3\n"
	"        jmp inner\n"
	"prime:  load 1\n"
	"        push 1\n"
	"        add\n"
	"        store 1\n"
	"        load 2\n"
	"        load 0\n"
	"        add\n"
	"        store 2\n"
	"next:   load 0\n"
	"        push 1\n"
	"        add\n"
	"        store 0\n"
	"        jmp outer\n"
	"finish: load 1\n"
	"        print\n"
	"        load 2\n"
	"        print\n"
	"        halt\n";

static int run_source(const char *title, const char *src)
{
	static struct program prog;

	fmt("%s\n", title);
	if (assemble(src, &prog) != 0)
		return 1;
	uint32_t h = 2166136261u;
	for (int i = 0; i < prog.len; i++)
		h = (h ^ (uint32_t)prog.code[i]) * 16777619u;
	fmt("  assembled %d words, hash %08x\n", prog.len, h);
	long steps = run(&prog);
	fmt("  %ld instructions executed\n", steps);
	return steps < 0;
}

int main(void)
{
	int failures = 0;
	uint64_t sum = 0; /* unsigned: wraps instead of overflowing */

	fmt("dense switch (jump table)\n");
	for (int op = -2; op <= 23; op++) {
		int64_t a = 1000 + op * 37, b = op - 5;
		int64_t r = dense(op, a, b);
		sum = sum * 31 + (uint64_t)r;
		fmt("  op %3d (%ld, %ld) -> %ld\n", op, a, b, r);
	}
	for (int i = 0; i < 10000; i++)
		sum = sum * 31 + (uint64_t)dense(i % 24, i * 7919, (i % 13) - 6);
	fmt("  hash %016lx\n", sum);

	fmt("switch-converted table:");
	for (int d = -1; d <= 7; d++)
		fmt(" %s", day_name(d));
	fmt("\n");

	fmt("sparse switch:");
	static const uint32_t probes[] = { 0, 1, 7, 8, 100, 1000, 4096, 65535,
		65536, 100000, 0x7fffffff, 0x80000000, 0xfffffffe, 0xffffffff };
	for (size_t i = 0; i < ARRAY_SIZE(probes); i++)
		fmt(" %d", sparse(probes[i]));
	fmt("\n");

	failures += run_source("vm: factorial", factorial_src);
	failures += run_source("vm: gcd", gcd_src);
	failures += run_source("vm: primes", primes_src);

	fmt("%s\n", failures ? "SOME PROGRAMS FAILED" : "all switch tests ok");
	return failures;
}
