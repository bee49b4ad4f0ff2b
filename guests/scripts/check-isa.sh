#!/bin/sh
# Fail if any of the given ELF images contains instructions that need
# FPU/SIMD state: SSE/AVX/AVX-512 (xmm/ymm/zmm registers or MXCSR/XSAVE
# instructions), MMX (mm registers, emms) or x87 (st registers, any
# mnemonic starting with "f" -- no integer x86 mnemonic does).
# The boot contract does not enable any of that state.
set -eu
here=$(dirname "$0")
status=0

for elf in "$@"; do
	bad=$("$here/insns.sh" "$elf" | awk -F'\t' '
		$2 ~ /%(x|y|z)mm[0-9]|%mm[0-7]|%st(\(|$|,)/ ||
		$1 ~ /^f/ ||
		$1 ~ /^(ldmxcsr|stmxcsr|vldmxcsr|vstmxcsr|xsave|xsaveopt|xsavec|xsaves|xrstor|xrstors|emms|femms|movnti|lfence|sfence|mfence|clflush|prefetch)/ {
			print "    " $1 " " $2
		}' | sort | uniq -c | sort -rn)
	if [ -n "$bad" ]; then
		echo "check-isa: $elf uses FPU/SIMD instructions:" >&2
		echo "$bad" >&2
		status=1
	fi
done

[ "$status" -eq 0 ] && echo "check-isa: $# images, no SSE/AVX/MMX/x87 instructions"
exit "$status"
