#!/usr/bin/env bash
# Check the serial output of one boot of the demo OS.
#
#   os/tools/check-serial.sh [--smp N] [--bench build/os/bench.expected] SERIAL.log
#
# What it asserts (see os/README.md, "Output"):
#  - the banner line; everything before it is firmware output and ignored;
#  - "cpu K online (apic id ...)" for K = 0..N-1 in order, then "smp: N cpu(s) online",
#    then "sched: init started as pid 1", before any process output;
#  - every process line has the form "[pid:name] text", and the lines of each
#    process, taken on their own, are exactly the expected transcript (the
#    interleaving of different processes varies from run to run);
#  - the kernel's int3/single-step/watchpoint reports name the addresses the
#    debugee printed for its own labels;
#  - the run ends with init's summary, one "stats: cpu K" line per CPU, one
#    "stats: total" line, and "shutdown: init exited with code 0".
set -euo pipefail

smp=
bench=
while [ $# -gt 1 ]; do
	case $1 in
	--smp) smp=$2; shift 2 ;;
	--bench) bench=$2; shift 2 ;;
	*) echo "check-serial.sh: unknown option $1" >&2; exit 2 ;;
	esac
done
[ $# -eq 1 ] || { sed -n '2,16p' "$0" >&2; exit 2; }
log=$1

fail() { echo "check-serial.sh: $log: $*" >&2; exit 1; }

# The kernel's part of the log: from the banner on, without carriage returns.
out=$(tr -d '\r' < "$log" | sed -n '/^tsvmi-os [0-9.]*: x86-64 demo kernel, PVH boot$/,$p')
[ -n "$out" ] || fail "no banner line"

# ---- boot -----------------------------------------------------------------
pre=$(printf '%s\n' "$out" | sed -n '1,/^sched: init started as pid 1;/p')
printf '%s\n' "$pre" | grep -q '^sched: init started as pid 1;' || fail "no 'sched: init started' line"
printf '%s\n' "$pre" | grep -q '^\[' && fail "process output before 'sched: init started'"
cpus=$(printf '%s\n' "$pre" | sed -n 's/^cpu \([0-9]*\) online (apic id [0-9]*.*)$/\1/p' | tr '\n' ' ')
n=$(printf '%s\n' "$pre" | sed -n 's/^smp: \([0-9]*\) cpus\{0,1\} online$/\1/p')
[ -n "$n" ] || fail "no 'smp: N cpus online' line"
[ -z "$smp" ] || [ "$n" = "$smp" ] || fail "expected $smp CPUs online, got $n"
[ "$cpus" = "$(seq -s ' ' 0 $((n - 1))) " ] || fail "'cpu K online' lines are '$cpus', expected 0..$((n - 1)) in order"

# ---- every line after boot is a process line, a stats line or the last line
body=$(printf '%s\n' "$out" | sed '1,/^sched: init started as pid 1;/d')
bad=$(printf '%s\n' "$body" | grep -v -E '^\[[0-9]+:[a-z]+\] |^stats: |^shutdown: ' || true)
[ -z "$bad" ] || fail "unexpected lines: $(printf '%s\n' "$bad" | head -3)"

# ---- per-process transcripts -------------------------------------------------
# expect PREFIX: stdin holds one extended regex per line; the process's lines
# must match them one to one, in order.
expect() {
	local prefix=$1 got want i=0 line
	got=$(printf '%s\n' "$body" | grep -F -- "$prefix " | cut -c$((${#prefix} + 2))- || true)
	want=$(cat)
	[ "$(printf '%s\n' "$got" | wc -l)" = "$(printf '%s\n' "$want" | wc -l)" ] ||
		fail "$prefix: expected $(printf '%s\n' "$want" | wc -l) lines, got $(printf '%s\n' "$got" | wc -l):
$got"
	while IFS= read -r line; do
		i=$((i + 1))
		pat=$(printf '%s\n' "$want" | sed -n "${i}p")
		printf '%s\n' "$line" | grep -q -E -x -- "$pat" || fail "$prefix line $i: '$line' does not match '$pat'"
	done <<< "$got"
}

X='0x[0-9a-f]+'
expect '[1:init]' <<EOF2
started as pid 1
spawned bench as pid 2
spawned bench as pid 3
spawned ticker as pid 4
spawned debugee as pid 5
spawned faulter as pid 6
pid 2 \(bench\) exited with code 0: as expected
pid 3 \(bench\) exited with code 0: as expected
pid 4 \(ticker\) exited with code 0: as expected
pid 5 \(debugee\) exited with code 0: as expected
pid 6 \(faulter\) exited with code 142: as expected
summary: 5 children, 5 as expected, 0 unexpected
EOF2

if [ -n "$bench" ]; then
	bench_re=$(sed 's/[][\.*^$()+?{}|]/\\&/g' "$bench")
else
	bench_re=$(printf '%s\n' 'start: [0-9]+ rounds x [0-9]+ iterations'; for r in 1 2 3 4 5 6 7 8; do
		echo "round $r/8 acc=[0-9a-f]{16} crc=[0-9a-f]{8}"; done; echo 'done: checksum=[0-9a-f]{16}')
fi
expect '[2:bench]' <<< "$bench_re"
expect '[3:bench]' <<< "$bench_re"

expect '[4:ticker]' <<EOF2
tick 1/5: slept >= 10 ticks: yes
tick 2/5: slept >= 10 ticks: yes
tick 3/5: slept >= 10 ticks: yes
tick 4/5: slept >= 10 ticks: yes
tick 5/5: slept >= 10 ticks: yes
done: 0 short sleeps
EOF2

expect '[5:debugee]' <<EOF2
start
int3 at $X
kernel: #BP int3 at rip=$X \(breakpoint 1\)
resumed after int3
single-step region at $X
kernel: #DB single-step 1: rip=$X
kernel: #DB single-step 2: rip=$X
kernel: #DB single-step 3: rip=$X
kernel: #DB single-step 4: rip=$X
kernel: #DB TF cleared after 4 single-step traps
single-step region done: counter=8
kernel: watch: DR0=$X len 8, DR7=0x90001
watch\($X, 8\) = 0; stores end at $X and $X
kernel: #DB watchpoint hit 1: dr6=$X \(B0=1\) addr=$X value=1 rip=$X
kernel: #DB watchpoint hit 2: dr6=$X \(B0=1\) addr=$X value=2 rip=$X
kernel: watch: DR0 watchpoint removed
done: read 2, final value 3
EOF2

expect '[6:faulter]' <<EOF2
writing to address 0x0
kernel: killed by #PF page fault at rip=$X cr2=0x0 error=0x6
EOF2

# The debugee's own addresses against the kernel's reports.
printf '%s\n' "$body" | grep -F '[5:debugee] ' | awk '
	function hex(s,  i, c, v) { v = 0; s = tolower(substr(s, 3));
		for (i = 1; i <= length(s); i++) { c = index("0123456789abcdef", substr(s, i, 1)) - 1; v = v * 16 + c }
		return v }
	function val(key,  m) { if (!match($0, key "0x[0-9a-f]+")) return -1
		m = substr($0, RSTART, RLENGTH); return hex(substr(m, index(m, "0x"))) }
	/ int3 at 0x/ && !/kernel:/ { int3 = val("int3 at ") }
	/#BP int3 at rip=/ { bp = val("rip=") }
	/single-step region at / { region = val("region at ") }
	/#DB single-step [0-9]+: rip=/ { k = $5 + 0; step[k] = val("rip=") }
	/ watch\(0x/ { watched = val("watch\\("); s1 = val("end at "); s2 = val(" and ") }
	/kernel: watch: DR0=/ { dr0 = val("DR0=") }
	/watchpoint hit 1:/ { h1 = val("rip="); a1 = val("addr=") }
	/watchpoint hit 2:/ { h2 = val("rip="); a2 = val("addr=") }
	END {
		err = ""
		if (bp != int3) err = err " #BP-rip!=int3-site"
		for (k = 1; k <= 4; k++) if (step[k] != region + 3 * k) err = err " step" k "-rip"
		if (dr0 != watched || a1 != watched || a2 != watched) err = err " watch-address"
		if (h1 != s1 || h2 != s2) err = err " watchpoint-rip"
		if (err != "") { print err; exit 1 }
	}' > /tmp/check-serial.$$ || fail "debugee addresses disagree with the kernel's reports:$(cat /tmp/check-serial.$$)"
rm -f /tmp/check-serial.$$

# ---- the end ---------------------------------------------------------------
tail=$(printf '%s\n' "$body" | grep -v -E '^\[[0-9]+:[a-z]+\] ')
want_tail=$(for ((k = 0; k < n; k++)); do echo "stats: cpu $k: .*"; done; echo "stats: total: cpus=$n .*"; echo 'shutdown: init exited with code 0')
[ "$(printf '%s\n' "$tail" | wc -l)" = "$(printf '%s\n' "$want_tail" | wc -l)" ] || fail "unexpected final lines:
$tail"
paste -d '\n' <(printf '%s\n' "$want_tail") <(printf '%s\n' "$tail") | while IFS= read -r pat && IFS= read -r line; do
	printf '%s\n' "$line" | grep -q -E -x -- "$pat" || fail "final line '$line' does not match '$pat'"
done
last_proc=$(printf '%s\n' "$body" | grep -n -E '^\[[0-9]+:[a-z]+\] ' | tail -1)
first_stats=$(printf '%s\n' "$body" | grep -n '^stats: ' | head -1)
[ "${last_proc%%:*}" -lt "${first_stats%%:*}" ] || fail "process output after the stats lines"
case $last_proc in *'[1:init] summary: '*) ;; *) fail "the last process line is not init's summary" ;; esac

echo "check-serial.sh: $log: ok ($n cpus)"
