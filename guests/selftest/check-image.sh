#!/bin/sh
# check-image.sh IMAGE both|pvh|multiboot
#
# Checks what the boot protocols need from a self-test image:
#   - every PT_LOAD has p_paddr == p_vaddr, the lowest starts at 1 MiB,
#     and file offset - address is the same for all of them (Multiboot's
#     a.out kludge copies the file flat from load_addr on);
#   - the Multiboot v1 header (magic 0x1BADB002) is 4-byte aligned in the
#     first 8 KiB of the file ("both", "multiboot") or absent ("pvh");
#   - the Xen PVH note (type 18, XEN_ELFNOTE_PHYS32_ENTRY) is present
#     ("both", "pvh") or absent ("multiboot").
set -eu
: "${READELF:=readelf}"
img=$1 kind=$2
fail() { echo "check-image: $img: $*" >&2; exit 1; }

"$READELF" -lW "$img" | awk '$1 == "LOAD" { print $2, $3, $4 }' | {
	delta=""
	lowest=""
	while read -r off vaddr paddr; do
		[ $((vaddr)) -eq $((paddr)) ] || { echo "vaddr $vaddr != paddr $paddr"; exit 1; }
		d=$((vaddr - off))
		[ -z "$delta" ] && delta=$d
		[ "$d" -eq "$delta" ] || { echo "segment at $vaddr: offset $off breaks the flat layout"; exit 1; }
		[ -z "$lowest" ] && lowest=$vaddr
	done
	[ $((lowest)) -eq $((0x100000)) ] || { echo "lowest PT_LOAD at $lowest"; exit 1; }
} >&2 || fail "bad segment layout"

off=$(od -A d -t x4 -N 8192 -v -w4 "$img" | awk '$2 == "1badb002" { print $1 + 0; exit }')
if "$READELF" -nW "$img" | grep -q 'Xen.*0x00000012'; then has_note=1; else has_note=0; fi
case $kind in
both|multiboot)
	[ -n "$off" ] || fail "no Multiboot header in the first 8 KiB"
	[ $((off % 4)) -eq 0 ] || fail "Multiboot header not 4-byte aligned" ;;
pvh)	[ -z "$off" ] || fail "unexpected Multiboot header (QEMU would prefer it)" ;;
*)	fail "kind must be both, pvh or multiboot" ;;
esac
case $kind in
both|pvh) [ $has_note -eq 1 ] || fail "no PVH note" ;;
multiboot) [ $has_note -eq 0 ] || fail "unexpected PVH note" ;;
esac
