#!/usr/bin/env bash
# small-image.sh: firmware analysis of a small router image against binwalk's bare extraction.
#
# It builds the root file system of a small MIPS router from real Debian mipsel packages (the
# ones tools/firmware-fixtures/fetch-debs.sh fetches; DEBS=DIR, default /tmp/siegel-fw-debs):
# the C library, busybox, dropbear, dnsmasq, OpenSSL, zlib, iptables, pppd and more, in that
# order, until the xz squashfs reaches TARGET_KB (default 2800), plus an OpenWrt-like /etc with a
# weak root password and telnet. Then, median of RUNS (default 5) runs each, wall and CPU
# (user + system) time of
#   siegel    `siegel firmware scan --no-vulns --format json` (unpack, inventory, every check)
#   binwalk   `binwalk -Me` (carving and extraction only, to disk)
# KEEP=DIR keeps the image (DIR/router-small.sqfs). Needs squashfs-tools, binwalk and Go.
set -euo pipefail
cd "$(dirname "$0")/../.."
. bench/firmware/router-etc.sh
debs=${DEBS:-/tmp/siegel-fw-debs}
target_kb=${TARGET_KB:-2800}
runs=${RUNS:-5}
[ -d "$debs/libc6" ] || { echo "no Debian mipsel packages in $debs: run tools/firmware-fixtures/fetch-debs.sh $debs" >&2; exit 1; }
if [ -n "${KEEP:-}" ]; then
	work=$KEEP
	mkdir -p "$work"
else
	work=$(mktemp -d)
	trap 'rm -rf "$work"' EXIT
fi
go build -o "$work/siegel" ./cmd/siegel

root="$work/root"
rm -rf "$root"
mkdir -p "$root"/{etc/init.d,etc/config,tmp,var,www}
img="$work/router-small.sqfs"
for p in libc6 busybox-static dropbear-bin dnsmasq-base zlib1g libmbedcrypto7 libmnl0 libnftnl11 libxtables12 iptables \
	ppp libjson-c5 liblua5.1-0 libpcre2-8-0 lighttpd libnl-3-200 hostapd libwolfssl35 curl libcurl4 libssl3; do
	[ -d "$debs/$p" ] || continue
	rm -rf "$work/prev"
	cp -a "$root" "$work/prev"
	cp -a "$debs/$p/." "$root/"
	# What a router leaves out: documentation, locales, character set converters, headers.
	rm -rf "$root/usr/share" "$root"/usr/lib/*/gconv "$root"/usr/lib/*/audit "$root/usr/include"
	mksquashfs "$root" "$img" -comp xz -all-root -noappend -quiet -no-progress >/dev/null
	size=$(stat -c %s "$img")
	if [ "$size" -gt $((target_kb * 1050)) ]; then # too big: without it, try the next
		rm -rf "$root"
		mv "$work/prev" "$root"
	elif [ "$size" -ge $((target_kb * 950)) ]; then
		break
	fi
done
rm -rf "$work/prev"
router_etc "$root"
mksquashfs "$root" "$img" -comp xz -all-root -noappend -quiet -no-progress >/dev/null

# median CMD...: prints "WALL CPU", the medians over $runs runs, in seconds.
median() {
	local walls=() cpus=() line
	for _ in $(seq "$runs"); do
		rm -rf "$work/bw"
		line=$( { TIMEFORMAT='%R %U %S'; time "$@" >/dev/null 2>&1; } 2>&1 | tail -1)
		walls+=("$(awk '{print $1}' <<<"$line")")
		cpus+=("$(awk '{print $2 + $3}' <<<"$line")")
	done
	printf '%s %s\n' "$(printf '%s\n' "${walls[@]}" | sort -g | sed -n "$(((runs + 1) / 2))p")" \
		"$(printf '%s\n' "${cpus[@]}" | sort -g | sed -n "$(((runs + 1) / 2))p")"
}
"$work/siegel" firmware scan --no-vulns --format json "$img" > "$work/report.json" 2>/dev/null
read -r sw sc < <(median "$work/siegel" firmware scan --no-vulns --format json "$img")
printf 'image %.2f MB, %d files (%d ELF), %s weaknesses, %s components\n' "$(awk "BEGIN{print $(stat -c %s "$img")/1e6}")" \
	"$(find "$root" -type f | wc -l)" "$(find "$root" -type f -exec sh -c 'head -c 4 "$1" | grep -q ELF && echo' _ {} \; | wc -l)" \
	"$(grep -c '"rule"' "$work/report.json")" "$(grep -c '"source"' "$work/report.json")"
printf '%-40s %6.2f s wall %6.2f s CPU   (median of %d)\n' "siegel firmware scan (full analysis)" "$sw" "$sc" "$runs"
if command -v binwalk >/dev/null; then
	# binwalk refuses to run extraction utilities as root unless told to.
	asroot=""; [ "$(id -u)" = 0 ] && asroot="--run-as=root"
	read -r bw bc < <(cd "$work" && median binwalk -q -Me $asroot -C "$work/bw" "$img")
	printf '%-40s %6.2f s wall %6.2f s CPU   ratio %.2f wall, %.2f CPU (above 1: siegel is faster)\n' "binwalk -Me (extraction only)" "$bw" "$bc" \
		"$(awk "BEGIN{print $bw/$sw}")" "$(awk "BEGIN{print $bc/$sc}")"
fi
