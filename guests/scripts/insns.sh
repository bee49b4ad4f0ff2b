#!/bin/sh
# Print "<mnemonic> <operands>" for every instruction in the given ELF
# files, one per line.  Prefixes (rep, lock, ...) are folded into the
# mnemonic ("rep stos").  Extra objdump options (e.g. -M intel) may be
# given in OBJDUMP_FLAGS.  Shared by check-isa.sh and mnemonics.sh.
set -eu
: "${OBJDUMP:=objdump}"

for elf in "$@"; do
	# shellcheck disable=SC2086  # OBJDUMP_FLAGS is a word list
	"$OBJDUMP" -d --no-show-raw-insn ${OBJDUMP_FLAGS:-} "$elf"
done | awk -F'\t' '
	/^ *[0-9a-f]+:\t/ {
		n = split($2, w, /[ \t]+/)
		i = 1
		m = w[i]
		while (w[i] ~ /^(rep|repz|repe|repnz|repne|lock|notrack|bnd|data16|addr32|cs|ds|es|ss|fs|gs)$/ && i < n) {
			i++
			m = m " " w[i]
		}
		ops = ""
		for (j = i + 1; j <= n; j++)
			ops = ops (ops == "" ? "" : " ") w[j]
		sub(/ *#.*/, "", ops)   # objdump address comments
		print m "\t" ops
	}'
