#!/usr/bin/env bash
# Boot the demo OS under QEMU and print its serial output.
#
#   os/run-qemu.sh [--kvm] [--smp N] [--mem MiB] [--timeout SECONDS]
#                  [--kernel PATH] [--log FILE] [--quiet] [-- extra qemu args]
#
# TCG by default; --kvm uses /dev/kvm.  Exit status 0 when QEMU exits with
# status 1 (the guest wrote 0 to isa-debug-exit); otherwise QEMU's status
# (2n+1 = init reported n unexpected results, 253 = kernel panic, 0 = QEMU
# quit without isa-debug-exit), 124 on timeout.  With --log the serial
# output also goes to FILE; --quiet prints only a one-line result (stderr).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
kernel=$here/../build/os/kernel.elf
accel=tcg smp=2 mem=64 timeout=60 log= quiet=0
extra=()
while [ $# -gt 0 ]; do
	case $1 in
	--kvm) accel=kvm ;;
	--tcg) accel=tcg ;;
	--smp) smp=$2; shift ;;
	--mem) mem=$2; shift ;;
	--timeout) timeout=$2; shift ;;
	--kernel) kernel=$2; shift ;;
	--log) log=$2; shift ;;
	--quiet) quiet=1 ;;
	--) shift; extra=("$@"); break ;;
	-h|--help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit 0 ;;
	*) echo "run-qemu.sh: unknown option $1" >&2; exit 2 ;;
	esac
	shift
done

command -v qemu-system-x86_64 >/dev/null ||
	{ echo "run-qemu.sh: qemu-system-x86_64 not found (apt-get install qemu-system-x86)" >&2; exit 2; }
[ -f "$kernel" ] || { echo "run-qemu.sh: $kernel not built (make -C guests os)" >&2; exit 2; }

out=$(mktemp)
trap 'rm -f "$out"' EXIT
start=$(date +%s.%N)
set +e
timeout --foreground -k 5 "$timeout" qemu-system-x86_64 \
	-kernel "$kernel" -nographic -serial stdio -monitor none \
	-m "$mem" -smp "$smp" -no-reboot -accel "$accel" \
	-device isa-debug-exit,iobase=0xf4,iosize=0x04 "${extra[@]}" </dev/null >"$out" 2>&1
status=$?
set -e
end=$(date +%s.%N)

[ -n "$log" ] && cp "$out" "$log"
[ "$quiet" = 1 ] || cat "$out"
secs=$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.2f", b - a }')
case $status in
1) what="success" ;;
124) what="TIMEOUT after ${timeout}s" ;;
253) what="kernel panic" ;;
*) what="failure" ;;
esac
echo "run-qemu.sh: accel=$accel smp=$smp: QEMU exit status $status ($what) in ${secs}s" >&2
case $status in
1) exit 0 ;;
0) exit 1 ;;
*) exit "$status" ;;
esac
