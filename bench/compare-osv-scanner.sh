#!/usr/bin/env bash
# Side-by-side run of siegel and google/osv-scanner v2.4.0 in offline mode on the same OSV data
# (../shared/data/osv, the osv.dev all.zip layout) and the same 18,000-component CycloneDX SBOM
# (built from that data by bench/osvsbom): wall time and peak memory of a table-output scan, the
# time of siegel's full import, and the difference of the (package, version, record) findings
# with the cause of each difference (bench/osvcompare). Both tools are built without cgo, as their
# release binaries are: statically linked, no C library mapped.
#
# Usage: bench/compare-osv-scanner.sh [OSV-DIR] [COMPONENTS]
# Needs network once, to build osv-scanner with the Go module proxy.
set -euo pipefail
cd "$(dirname "$0")/.."
osv="$(cd "${1:-../shared/data/osv}" && pwd)"
n="${2:-18000}"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

echo "== building siegel and osv-scanner v2.4.0 (static, as release binaries are built)"
export CGO_ENABLED=0
go build -trimpath -o "$tmp/siegel" ./cmd/siegel
GOBIN="$tmp/bin" go install -trimpath github.com/google/osv-scanner/v2/cmd/osv-scanner@v2.4.0
mkdir -p "$tmp/osvcache"
ln -s "$osv" "$tmp/osvcache/osv-scanner" # osv-scanner's offline layout: <dir>/osv-scanner/<Ecosystem>/all.zip
ln -s "$osv" "$tmp/osvcache/osv-scalibr"

echo "== SBOM: $n components from $osv"
go run ./bench/osvsbom -osv "$osv" -n "$n" > "$tmp/bom.cdx.json"

echo "== siegel: full import"
/usr/bin/time -f "siegel db update: %e s wall, %M KB peak" \
	"$tmp/siegel" db update --db "$tmp/db" --source "$osv" > /dev/null

echo "== scans (table output, best of 3)"
best() { sort -n | head -1; }
for tool in siegel osv-scanner; do
	for i in 1 2 3; do
		if [ "$tool" = siegel ]; then
			/usr/bin/time -f "%e %M" -o "$tmp/t" "$tmp/siegel" scan --db "$tmp/db" "$tmp/bom.cdx.json" > "$tmp/$tool.txt" || true
		else
			OSV_SCANNER_LOCAL_DB_CACHE_DIRECTORY="$tmp/osvcache" /usr/bin/time -f "%e %M" -o "$tmp/t" \
				"$tmp/bin/osv-scanner" scan source --offline -L "$tmp/bom.cdx.json" --format table > "$tmp/$tool.txt" 2>/dev/null || true
		fi
		tail -1 "$tmp/t" >> "$tmp/$tool.times"
	done
	read -r secs kb < <(sort -n "$tmp/$tool.times" | head -1)
	echo "$tool: $secs s wall, $((kb / 1024)) MB peak"
done

echo "== findings"
"$tmp/siegel" scan --db "$tmp/db" --format json "$tmp/bom.cdx.json" > "$tmp/siegel.json" || true
OSV_SCANNER_LOCAL_DB_CACHE_DIRECTORY="$tmp/osvcache" "$tmp/bin/osv-scanner" scan source --offline \
	-L "$tmp/bom.cdx.json" --format json > "$tmp/osv-scanner.json" 2>/dev/null || true
go run ./bench/osvcompare "$tmp/siegel.json" "$tmp/osv-scanner.json" "$osv" | grep -v '^  '
