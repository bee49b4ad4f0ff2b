#!/bin/sh
# Histogram of instruction mnemonics over the given ELF images: what an
# emulator must implement to run them.  Intel syntax by default, so that
# operand sizes fold together (mov, not movb/movl/movq); set
# SYNTAX=att for AT&T mnemonics with size suffixes.
#
# Output: "<count> <mnemonic>", most frequent first, then a total line.
set -eu
here=$(dirname "$0")

if [ "${SYNTAX:-intel}" = intel ]; then
	OBJDUMP_FLAGS="-M intel"
else
	OBJDUMP_FLAGS=""
fi
export OBJDUMP_FLAGS

"$here/insns.sh" "$@" | cut -f1 | sort | uniq -c | sort -k1,1rn -k2 |
	awk '{ total += $1; n++; printf "%8d %s\n", $1, substr($0, index($0, $2)) }
	     END { printf "%8d total instructions, %d distinct mnemonics, %d images\n", total, n, '"$#"' }'
