#!/bin/sh
# Turn the "->KIND GROUP NAME VALUE" markers of asm-offsets.s into
#   mkoffsets.sh header asm-offsets.s            > asm-offsets.h
#   mkoffsets.sh json   asm-offsets.s kernel.elf > offsets.json
set -eu
mode=$1 src=$2
NM=${NM:-nm}

markers() { sed -n 's/^[[:space:]]*\.ascii[[:space:]]*"->\(.*\)"$/\1/p' "$src"; }

case $mode in
header)
	echo "/* Generated from kernel/asm-offsets.c by tools/mkoffsets.sh: do not edit. */"
	echo "#ifndef OS_ASM_OFFSETS_H"
	echo "#define OS_ASM_OFFSETS_H"
	markers | awk '$1 == "ASM" { printf "#define %s %s\n", $3, $4 }'
	echo "#endif"
	;;
json)
	elf=$3
	# Symbols introspection tools look for (name -> address).
	syms="init_task sys_call_table syscall_entry syscall_exit syscall_dispatch percpu jiffies
		switch_to schedule_locked trap_dispatch isr_table idt gdt kernel_pml4_pa boot_pml4
		programs do_exit process_spawn pvh_start KERNEL_VMA PHYSMAP_BASE __kernel_start __kernel_end"
	{
		markers | awk '$1 == "JSON" { print "J", $2, $3, $4 }'
		$NM "$elf" | awk -v want="$(echo $syms)" '
			BEGIN { n = split(want, w, " "); for (i = 1; i <= n; i++) ok[w[i]] = 1 }
			ok[$3] { print "S", $3, $1 }'
	} | awk -v order="$(echo $syms)" '
		$1 == "J" {
			if (!($2 in seen)) { seen[$2] = 1; groups[++ng] = $2 }
			body[$2] = body[$2] (body[$2] == "" ? "" : ", ") "\"" $3 "\": " $4
		}
		$1 == "S" { addr[$2] = $3 }
		END {
			print "{"
			print "  \"kernel\": \"tsvmi-os\","
			print "  \"version\": 1,"
			print "  \"init_task\": \"init_task\","
			print "  \"syscall_table\": \"sys_call_table\","
			print "  \"syscall_entry\": \"syscall_entry\","
			print "  \"syscall_exit\": \"syscall_exit\","
			print "  \"percpu\": \"percpu\","
			print "  \"task_list\": \"circular, doubly linked through task.next/task.prev (pointers to the start of the neighbouring struct task), rooted at init_task (pid 0)\","
			for (i = 1; i <= ng; i++)
				printf "  \"%s\": {%s},\n", (groups[i] == "percpu" ? "percpu_struct" : groups[i]), body[groups[i]]
			n = split(order, w, " ")
			printf "  \"symbols\": {"
			sep = ""
			for (i = 1; i <= n; i++) if (w[i] in addr) { printf "%s\n    \"%s\": \"0x%s\"", sep, w[i], addr[w[i]]; sep = "," }
			print "\n  }"
			print "}"
		}'
	;;
*)
	echo "usage: $0 header|json asm-offsets.s [kernel.elf]" >&2
	exit 2
	;;
esac
