#!/usr/bin/env bash
# Side-by-side run of siegel and google/osv-scanner v2.4.0 in offline mode on the same OSV data
# (../shared/data/osv, the osv.dev all.zip layout) and the same CycloneDX SBOMs built from that
# data by bench/osvsbom, in two shapes: light (COMPONENTS, 18,000 by default: a few versions of
# every package the records name, then packages none names) and heavy (HEAVY, 20,000 by default:
# the most affected package versions, every component vulnerable, about ten findings each). First
# the peak memory of each tool's start-up alone (printing its version), which every peak includes.
# For each shape: wall time and peak memory of a table-output scan, and the difference of the
# (package, version, record) findings with the cause of each difference (bench/osvcompare); once:
# the time of siegel's full import. Both tools are built without cgo, as their release binaries are:
# statically linked, no C library mapped.
#
# Usage: [RUNS=5] [HEAVY=20000] bench/compare-osv-scanner.sh [OSV-DIR] [COMPONENTS]
# Needs network once, to build osv-scanner with the Go module proxy.
set -euo pipefail
cd "$(dirname "$0")/.."
osv="$(cd "${1:-../shared/data/osv}" && pwd)"
n="${2:-18000}"
heavy="${HEAVY:-20000}"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

echo "== building siegel and osv-scanner v2.4.0 (static, as release binaries are built)"
export CGO_ENABLED=0
go build -trimpath -o "$tmp/siegel" ./cmd/siegel
GOBIN="$tmp/bin" go install -trimpath github.com/google/osv-scanner/v2/cmd/osv-scanner@v2.4.0
mkdir -p "$tmp/osvcache"
ln -s "$osv" "$tmp/osvcache/osv-scanner" # osv-scanner's offline layout: <dir>/osv-scanner/<Ecosystem>/all.zip
ln -s "$osv" "$tmp/osvcache/osv-scalibr"

# What each tool holds before it reads anything: the pages of its binary that its start-up maps
# (the initialisers of every package linked in) and its initial heap. Part of every peak below.
echo "== start-up: peak RSS of printing the version (median of ${RUNS:-5})"
for tool in siegel osv-scanner; do
	bin="$tmp/siegel" arg=version
	[ "$tool" = siegel ] || bin="$tmp/bin/osv-scanner" arg=--version
	for i in $(seq "${RUNS:-5}"); do
		/usr/bin/time -f "%M" -o "$tmp/t" "$bin" "$arg" > /dev/null 2>&1 || true
		tail -1 "$tmp/t"
	done | sort -n | awk -v t="$tool" -v b="$(wc -c < "$bin")" '{v[NR] = $1} END {printf "%s: %.1f MB (binary %.1f MB)\n", t, v[int((NR + 1) / 2)] / 1024, b / 1e6}'
done

echo "== siegel: full import"
/usr/bin/time -f "siegel db update: %e s wall, %M KB peak" \
	"$tmp/siegel" db update --db "$tmp/db" --source "$osv" > /dev/null
sync # the freshly written database is on disk before anything is timed

compare() {
	local shape="$1" count="$2"
	echo "== $shape SBOM: $count components from $osv"
	go run ./bench/osvsbom -osv "$osv" -n "$count" -shape "$shape" > "$tmp/bom.cdx.json"
	rm -f "$tmp/siegel.times" "$tmp/osv-scanner.times"
	runs="${RUNS:-5}"
	echo "== $shape: scans (table output, $runs runs each, alternating)"
	for i in $(seq "$runs"); do
		/usr/bin/time -f "%e %M %U %S" -o "$tmp/t" "$tmp/siegel" scan --db "$tmp/db" "$tmp/bom.cdx.json" > "$tmp/siegel.txt" || true
		tail -1 "$tmp/t" >> "$tmp/siegel.times"
		OSV_SCANNER_LOCAL_DB_CACHE_DIRECTORY="$tmp/osvcache" /usr/bin/time -f "%e %M %U %S" -o "$tmp/t" \
			"$tmp/bin/osv-scanner" scan source --offline -L "$tmp/bom.cdx.json" --format table > "$tmp/osv-scanner.txt" 2>/dev/null || true
		tail -1 "$tmp/t" >> "$tmp/osv-scanner.times"
	done
	echo "table: siegel $(wc -c < "$tmp/siegel.txt") bytes, osv-scanner $(wc -c < "$tmp/osv-scanner.txt") bytes"
	# Wall time: the best and the median run. Peak RSS: the median and the highest. CPU time (user
	# and system): the median, which depends less than wall time on what else the machine runs.
	stats() {
		local col="$1" f="$2"
		awk -v c="$col" '{print $c}' "$f" | sort -n | awk '{v[NR] = $1} END {m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2; print v[1], m, v[NR]}'
	}
	for tool in siegel osv-scanner; do
		read -r tbest tmed _ < <(stats 1 "$tmp/$tool.times")
		read -r _ kmed kmax < <(stats 2 "$tmp/$tool.times")
		awk '{print $3 + $4}' "$tmp/$tool.times" > "$tmp/$tool.cpu"
		read -r _ cmed _ < <(stats 1 "$tmp/$tool.cpu")
		awk -v t="$tool" -v b="$tbest" -v m="$tmed" -v km="$kmed" -v kx="$kmax" -v c="$cmed" \
			'BEGIN {printf "%s: wall best %s s, median %s s; CPU median %s s; peak RSS median %.1f MB, highest %.1f MB\n", t, b, m, c, km / 1024, kx / 1024}'
		echo "$tbest $tmed $kmed $kmax $cmed" > "$tmp/$tool.stats"
	done
	read -r sb sm skm skx sc < "$tmp/siegel.stats"
	read -r ob om okm okx oc < "$tmp/osv-scanner.stats"
	awk -v sb="$sb" -v sm="$sm" -v skm="$skm" -v skx="$skx" -v sc="$sc" -v ob="$ob" -v om="$om" -v okm="$okm" -v okx="$okx" -v oc="$oc" 'BEGIN {
		printf "siegel is %.1fx faster (best runs), %.1fx (medians), %.1fx in CPU time (medians); its peak RSS is %.1f%% of osv-scanner'"'"'s (medians), %.1f%% (highest)\n",
			ob / sb, om / sm, oc / sc, 100 * skm / okm, 100 * skx / okx
	}'

	echo "== $shape: findings"
	"$tmp/siegel" scan --db "$tmp/db" --format json "$tmp/bom.cdx.json" > "$tmp/siegel.json" || true
	OSV_SCANNER_LOCAL_DB_CACHE_DIRECTORY="$tmp/osvcache" "$tmp/bin/osv-scanner" scan source --offline \
		-L "$tmp/bom.cdx.json" --format json > "$tmp/osv-scanner.json" 2>/dev/null || true
	go run ./bench/osvcompare "$tmp/siegel.json" "$tmp/osv-scanner.json" "$osv" | grep -v '^  '
}

compare light "$n"
compare heavy "$heavy"
