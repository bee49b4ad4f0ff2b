#!/bin/bash
# Boot a self-test image under QEMU and print its serial output.
#
#   selftest/run-qemu.sh [--kvm] [--smp N] [--image NAME|PATH]
#                        [--cpu MODEL] [--timeout SECONDS] [--append CMDLINE] [--lines]
#
# Defaults: TCG, -smp 2, selftest.elf, the default CPU model, 120 s.
# --image takes selftest, selftest-mb, selftest-pvh, triplefault or a path.
# QEMU boots selftest.elf (PVH note + Multiboot header) through Multiboot;
# selftest-pvh.elf is the image that exercises PVH under QEMU.
# --lines prints only the guest's "selftest: ..." / "triplefault: ..." lines
# (no firmware banner), for diffing against tsvmi's output.
# Exit status: QEMU's.  isa-debug-exit makes a guest write of v to port
# 0xf4 exit QEMU with (v << 1) | 1, so the self-test exits 1 when all
# checks pass and 2*M+1 when M checks failed; a triple fault with
# -no-reboot exits 0; 124 means the timeout hit (a check hung: the last
# line printed is unterminated and names it).
set -eu -o pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=$here/../build/selftest
accel=tcg smp=2 image=selftest cpu="" timeout=120 append="" lines=0
while [ $# -gt 0 ]; do
	case $1 in
	--kvm) accel=kvm ;;
	--tcg) accel=tcg ;;
	--smp) smp=$2; shift ;;
	--image) image=$2; shift ;;
	--cpu) cpu=$2; shift ;;
	--timeout) timeout=$2; shift ;;
	--append) append=$2; shift ;;
	--lines) lines=1 ;;
	-h|--help) sed -n '2,17p' "$0"; exit 0 ;;
	*) echo "run-qemu.sh: unknown option $1" >&2; exit 2 ;;
	esac
	shift
done
case $image in
*/*|*.elf) kernel=$image ;;
*) kernel=$build/$image.elf ;;
esac
[ -f "$kernel" ] || { echo "run-qemu.sh: $kernel not found (make -C guests selftest)" >&2; exit 2; }

set -- -kernel "$kernel" -nographic -serial stdio -monitor none -m 64 -smp "$smp" \
	-no-reboot -device isa-debug-exit,iobase=0xf4,iosize=0x04 -accel "$accel"
[ -n "$cpu" ] && set -- "$@" -cpu "$cpu"
[ -n "$append" ] && set -- "$@" -append "$append"
status=0
if [ $lines -eq 1 ]; then
	# SeaBIOS leaves "Booting from ROM.." without a newline before the
	# first guest line: keep what follows the last tag on each line.
	timeout --foreground -k 5 "$timeout" qemu-system-x86_64 "$@" </dev/null 2>&1 |
		sed -u -n 's/^.*\(selftest: \|triplefault: \)/\1/p' || status=$?
else
	timeout --foreground -k 5 "$timeout" qemu-system-x86_64 "$@" </dev/null || status=$?
fi
if [ $status -eq 124 ]; then
	echo >&2
	echo "run-qemu.sh: timed out after ${timeout}s; the last 'selftest: <name>: ' line" \
		"names the check that hung (skip it: --append selftest.skip=<name>)" >&2
fi
exit $status
