#!/bin/sh
# Check freestanding images against the tsvmi boot contract:
#   ELF64, x86-64, ET_EXEC, statically linked (no PT_INTERP / PT_DYNAMIC);
#   entry point == pvh_start32 == 0x100000, named by a Xen PVH note
#   (XEN_ELFNOTE_PHYS32_ENTRY) in a PT_NOTE segment;
#   every PT_LOAD has p_paddr == p_vaddr (identity map), the lowest one
#   starts at 0x100000 and all of them end below 1 GiB;
#   no undefined symbols.
set -eu
: "${READELF:=readelf}" "${NM:=nm}"
status=0

fail() {
	echo "check-elf: $elf: $*" >&2
	status=1
}

for elf in "$@"; do
	hdr=$("$READELF" -hW "$elf")
	echo "$hdr" | grep -q 'Class:[[:space:]]*ELF64' || fail "not ELF64"
	echo "$hdr" | grep -q 'Machine:[[:space:]]*Advanced Micro Devices X86-64' || fail "not x86-64"
	echo "$hdr" | grep -q 'Type:[[:space:]]*EXEC' || fail "not ET_EXEC"

	entry=$(echo "$hdr" | awk '/Entry point address:/ { print $4 }')
	start=$("$NM" "$elf" | awk '$3 == "pvh_start32" { print "0x" $1 }')
	[ $((entry)) -eq $((0x100000)) ] || fail "entry $entry, want 0x100000"
	[ -n "$start" ] && [ $((start)) -eq $((entry)) ] || fail "entry $entry is not pvh_start32 ($start)"
	"$READELF" -nW "$elf" | grep -q 'Xen.*0x00000012' || fail "no Xen PVH entry note (type 18)"

	phdrs=$("$READELF" -lW "$elf")
	echo "$phdrs" | grep -qE '^[[:space:]]*(INTERP|DYNAMIC)' && fail "has INTERP/DYNAMIC"
	# Columns: Type Offset VirtAddr PhysAddr FileSiz MemSiz Flg... Align
	loads=$(echo "$phdrs" | awk '$1 == "LOAD" { print $3, $4, $6 }')
	[ -n "$loads" ] || fail "no PT_LOAD"
	lowest=""
	echo "$loads" | {
		st=0
		while read -r vaddr paddr memsz; do
			[ $((vaddr)) -eq $((paddr)) ] || { echo "check-elf: $elf: vaddr $vaddr != paddr $paddr" >&2; st=1; }
			[ $((paddr + memsz)) -le $((0x40000000)) ] || { echo "check-elf: $elf: segment $paddr+$memsz beyond 1 GiB" >&2; st=1; }
		done
		exit $st
	} || status=1
	lowest=$(echo "$loads" | awk '{ print $2 }' | sort | head -n1)
	[ $((lowest)) -eq $((0x100000)) ] || fail "lowest PT_LOAD at $lowest, want 0x100000"

	undef=$("$NM" -u "$elf")
	[ -z "$undef" ] || fail "undefined symbols: $undef"
done

[ "$status" -eq 0 ] && echo "check-elf: $# images match the boot contract"
exit "$status"
