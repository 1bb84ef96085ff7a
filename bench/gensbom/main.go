// Command gensbom writes a synthetic SBOM of -n components for benchmarks:
//
//	go run ./bench/gensbom -n 50000 -format cyclonedx-json > big.cdx.json
package main

import (
	"bufio"
	"flag"
	"fmt"
	"os"

	"github.com/siegel-oss/siegel/internal/sbom"
	"github.com/siegel-oss/siegel/internal/sbom/sbomtest"
)

func main() {
	n := flag.Int("n", 50000, "number of components")
	format := flag.String("format", string(sbom.CycloneDXJSON), "cyclonedx-json, cyclonedx-xml or spdx-json")
	flag.Parse()
	w := bufio.NewWriter(os.Stdout)
	if err := sbom.Write(w, sbomtest.Synthetic(*n), sbom.Format(*format)); err != nil {
		fmt.Fprintln(os.Stderr, "gensbom:", err)
		os.Exit(1)
	}
	if err := w.Flush(); err != nil {
		fmt.Fprintln(os.Stderr, "gensbom:", err)
		os.Exit(1)
	}
}
