#!/usr/bin/env bash
# router-image.sh: the firmware analysis figures of a realistic router image, side by side with
# the tools labs use today.
#
# It builds a sysupgrade-style image of about 16 MB: a U-Boot uImage with an LZMA kernel, then a
# squashfs (xz) root file system filled with this machine's real ELF binaries and libraries (so
# signatures and hardening checks have real work) and an OpenWrt-like /etc. Then, best of 3 runs:
#   siegel    `siegel firmware scan --no-vulns --format json` (unpack, inventory, every check)
#   unsquashfs Debian's unsquashfs on the root file system alone (unpacking only, to disk)
#   binwalk   `binwalk -Me` on the whole image (carving and extraction only, to disk)
# and prints the wall times and the ratios (above 1: siegel is faster).
# Needs squashfs-tools, u-boot-tools, xz-utils, binwalk and Go. small-image.sh is the small shape:
# a 2.8 MB root file system of Debian mipsel packages, wall and CPU time, median of 5.
set -euo pipefail
cd "$(dirname "$0")/../.."
. bench/firmware/router-etc.sh
target_mb=${TARGET_MB:-16}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
go build -o "$work/siegel" ./cmd/siegel
go build -o "$work/sqfsunpack" ./bench/firmware/sqfsunpack

root="$work/root"
mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,lib,usr/lib,etc/init.d,etc/config,lib/modules/5.15.134,www}
# Real ELF files until the compressed root file system reaches the target size.
n=0
for f in /usr/bin/* /usr/sbin/* /usr/lib/x86_64-linux-gnu/*.so*; do
	[ -f "$f" ] && [ ! -L "$f" ] || continue
	head -c 4 "$f" | grep -q $'\x7fELF' || continue
	case "$f" in */lib/*) cp "$f" "$root/usr/lib/" ;; *) cp "$f" "$root/usr/bin/" ;; esac
	n=$((n + 1))
	if [ $((n % 200)) -eq 0 ]; then
		mksquashfs "$root" "$work/probe.sqfs" -comp xz -noappend -quiet -no-progress >/dev/null
		[ "$(stat -c %s "$work/probe.sqfs")" -ge $((target_mb * 1000000 - 300000)) ] && break
	fi
done
router_etc "$root"
mksquashfs "$root" "$work/root.sqfs" -comp xz -all-root -noappend -quiet -no-progress >/dev/null

head -c 2000000 /dev/urandom | base64 > "$work/kernel"
printf 'Linux version 5.15.134 (builder@buildhost) (gcc 12.3.0) #0 SMP\0' >> "$work/kernel"
xz -c --format=lzma "$work/kernel" > "$work/kernel.lzma"
mkimage -q -A mips -O linux -T kernel -C lzma -a 0x80060000 -e 0x80060000 -n "MIPS OpenWrt Linux-5.15.134" -d "$work/kernel.lzma" "$work/uImage"
img="$work/router.bin"
cat "$work/uImage" > "$img"
truncate -s "$(( ( $(stat -c %s "$img") / 65536 + 1) * 65536 ))" "$img"
cat "$work/root.sqfs" >> "$img"
files=$(find "$root" -type f | wc -l)

best3() { # best3 CMD...: the fastest wall time of three runs, in seconds
	local best="" t
	for _ in 1 2 3; do
		rm -rf "$work/x" "$work/_router.bin.extracted"
		t=$( { TIMEFORMAT='%R'; time "$@" >/dev/null 2>&1; } 2>&1 | tail -1)
		if [ -z "$best" ] || awk "BEGIN{exit !($t < $best)}"; then best=$t; fi
	done
	echo "$best"
}
s=$(best3 "$work/siegel" firmware scan --no-vulns --format json "$img")
"$work/siegel" firmware scan --no-vulns --format json "$img" > "$work/report.json" 2>/dev/null
u=$(best3 unsquashfs -q -n -d "$work/x" "$work/root.sqfs")
su=$(best3 "$work/sqfsunpack" unpack "$work/root.sqfs" 1)
si=$(best3 "$work/sqfsunpack" image "$img")
b=""
if command -v binwalk >/dev/null; then
	# binwalk refuses to run extraction utilities as root unless told to.
	asroot=""; [ "$(id -u)" = 0 ] && asroot="--run-as=root"
	b=$(cd "$work" && best3 binwalk -q -Me $asroot -C "$work/bw" "$img")
	[ -n "$(find "$work/bw" -type f 2>/dev/null | head -1)" ] || echo "warning: binwalk extracted nothing" >&2
fi
printf 'image %.1f MB, %d files (%d ELF), %s weaknesses, %s components\n' "$(awk "BEGIN{print $(stat -c %s "$img")/1e6}")" "$files" "$n" \
	"$(grep -c '"rule"' "$work/report.json")" "$(grep -c '"source"' "$work/report.json")"
printf '%-40s %8.2f s\n' "siegel firmware scan (full analysis)" "$s"
printf '%-40s %8.2f s\n' "siegel unpack, root file system" "$su"
printf '%-40s %8.2f s   ratio %.2f\n' "unsquashfs, root file system" "$u" "$(awk "BEGIN{print $u/$su}")"
printf '%-40s %8.2f s\n' "siegel unpack, whole image (carving)" "$si"
[ -n "$b" ] && printf '%-40s %8.2f s   ratio %.2f\n' "binwalk -Me, whole image" "$b" "$(awk "BEGIN{print $b/$si}")"
exit 0
