#!/usr/bin/env bash
# Measures reading a 50,000-component SBOM: the Go benchmarks (time and allocation per read, for
# CycloneDX JSON, SPDX JSON and CycloneDX XML) and the peak memory of a whole command that reads it
# (`siegel sbom info`). Usage: bench/sbom-read.sh [components]
set -euo pipefail
cd "$(dirname "$0")/.."
n="${1:-50000}"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

go build -o "$tmp/siegel" ./cmd/siegel
go run ./bench/gensbom -n "$n" > "$tmp/big.cdx.json"
echo "input: $n components, $(stat -c %s "$tmp/big.cdx.json") bytes of CycloneDX 1.6 JSON"
/usr/bin/time -f "siegel sbom info: %e s wall, %M KB peak RSS" "$tmp/siegel" sbom info "$tmp/big.cdx.json" > /dev/null

go test -run '^$' -bench 'Read.*50k$' -benchtime 5x ./internal/sbom/
