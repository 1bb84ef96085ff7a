#!/usr/bin/env bash
# unsquashfs-compare.sh [COMP...]: time Debian's unsquashfs against Siegel's native squashfs
# unpacker on the same image, one image per compressor (default: xz gzip), made by mksquashfs
# from a router-like tree of 3000 files (about 40 MB, as in BenchmarkSquashfs). Both run as whole
# processes: `unsquashfs -d DIR -f IMG` (which also writes the files to $TMPDIR) and a small Go
# program that unpacks the image in memory. Figures are the best wall time of 3 runs, with the CPU
# time (user+sys) of that run; ratio = unsquashfs wall / siegel wall (above 1: siegel is faster).
# Needs squashfs-tools, bc and Go.
set -euo pipefail
cd "$(dirname "$0")/../.."
comps=("$@")
[ ${#comps[@]} -gt 0 ] || comps=(xz gzip)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
go build -o "$work/sqfsunpack" ./bench/firmware/sqfsunpack
"$work/sqfsunpack" gen "$work/tree"

# best3 CMD...: prints "wall cpu" of the fastest of three runs.
best3() {
	local best="" cpu="" r
	for _ in 1 2 3; do
		rm -rf "$work/x"
		r=$( { TIMEFORMAT='%R %U %S'; time "$@" >/dev/null 2>&1; } 2>&1 | tail -1)
		read -r w u s <<<"$r"
		if [ -z "$best" ] || [ "$(echo "$w < $best" | bc)" = 1 ]; then
			best=$w
			cpu=$(echo "$u + $s" | bc)
		fi
	done
	echo "$best $cpu"
}

printf '%-6s %9s %16s %16s %16s %16s %7s\n' comp image_MB unsquashfs_wall unsquashfs_cpu siegel_wall siegel_cpu ratio
for c in "${comps[@]}"; do
	img="$work/$c.sqsh"
	mksquashfs "$work/tree" "$img" -comp "$c" -noappend -quiet -no-progress >/dev/null
	read -r uw uc <<<"$(best3 unsquashfs -q -n -d "$work/x" -f "$img")"
	read -r sw sc <<<"$(best3 "$work/sqfsunpack" unpack "$img" 1)"
	size=$(stat -c %s "$img")
	printf '%-6s %9.1f %16.2f %16.2f %16.2f %16.2f %7.2f\n' "$c" "$(echo "$size/1000000" | bc -l)" \
		"$uw" "$uc" "$sw" "$sc" "$(echo "$uw/$sw" | bc -l)"
done
