package portfolio

import (
	"encoding/csv"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/siegel-oss/siegel/internal/purl"
	"github.com/siegel-oss/siegel/internal/sbom"
)

// csvHeader names the CSV export's columns.
var csvHeader = []string{"rank", "purl", "manufacturers", "products", "releases", "devices", "releases_unknown_devices",
	"direct", "transitive", "graph_unknown", "health", "unhealthy", "memory_safety", "score", "critical", "cumulative_share"}

// WriteCSV writes the inventory as CSV (RFC 4180), one row per published component by rank.
func WriteCSV(w io.Writer, inv *Inventory) error {
	cw := csv.NewWriter(w)
	cw.Write(csvHeader)
	for _, c := range inv.Components {
		cw.Write([]string{strconv.Itoa(c.Rank), csvSafe(c.PURL), strconv.Itoa(c.Manufacturers), strconv.Itoa(c.Products), strconv.Itoa(c.Releases),
			strconv.FormatInt(c.Devices, 10), strconv.Itoa(c.ReleasesUnknownDevices), strconv.Itoa(c.Direct), strconv.Itoa(c.Transitive),
			strconv.Itoa(c.GraphUnknown), csvSafe(c.Health), strconv.FormatBool(c.Unhealthy), csvSafe(c.MemorySafety),
			strconv.FormatFloat(c.Score, 'f', 3, 64), strconv.FormatBool(c.InCriticalSet), strconv.FormatFloat(c.CumulativeShare, 'f', 4, 64)})
	}
	cw.Flush()
	return cw.Error()
}

// csvSafe keeps a cell from being read as a formula by a spreadsheet (purls come from uploads).
func csvSafe(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

// Property names of the CycloneDX export.
const propPrefix = "siegel:portfolio:"

// WriteCycloneDX writes the critical set (with all published components when all is set) as a
// CycloneDX 1.6 JSON BOM: one component per base purl, its figures as properties, and the
// inventory's parameters as metadata properties.
func WriteCycloneDX(w io.Writer, inv *Inventory, all bool, now time.Time) error {
	doc := &sbom.Document{Format: sbom.CycloneDXJSON, SpecVersion: "1.6", Version: 1, Created: now.UTC().Truncate(time.Second),
		Name: "critical open-source components", Creators: []sbom.Creator{{Kind: sbom.CreatorTool, Name: "siegel"}},
		Properties: []sbom.Property{
			{Name: propPrefix + "k", Value: strconv.Itoa(inv.K)},
			{Name: propPrefix + "coverage", Value: strconv.FormatFloat(inv.Coverage, 'f', -1, 64)},
			{Name: propPrefix + "deviceDependencies", Value: strconv.FormatInt(inv.DeviceDependencies, 10)},
			{Name: propPrefix + "criticalSet", Value: strconv.Itoa(inv.Critical)},
		}}
	for _, c := range inv.Components {
		if !all && !c.InCriticalSet {
			continue
		}
		name, group := nameOf(c.PURL)
		doc.Components = append(doc.Components, sbom.Component{Ref: c.PURL, Type: "library", Name: name, Group: group, PURL: c.PURL,
			Properties: []sbom.Property{
				{Name: propPrefix + "rank", Value: strconv.Itoa(c.Rank)},
				{Name: propPrefix + "score", Value: strconv.FormatFloat(c.Score, 'f', 3, 64)},
				{Name: propPrefix + "manufacturers", Value: strconv.Itoa(c.Manufacturers)},
				{Name: propPrefix + "products", Value: strconv.Itoa(c.Products)},
				{Name: propPrefix + "releases", Value: strconv.Itoa(c.Releases)},
				{Name: propPrefix + "devices", Value: strconv.FormatInt(c.Devices, 10)},
				{Name: propPrefix + "releasesUnknownDevices", Value: strconv.Itoa(c.ReleasesUnknownDevices)},
				{Name: propPrefix + "direct", Value: strconv.Itoa(c.Direct)},
				{Name: propPrefix + "transitive", Value: strconv.Itoa(c.Transitive)},
				{Name: propPrefix + "graphUnknown", Value: strconv.Itoa(c.GraphUnknown)},
				{Name: propPrefix + "health", Value: c.Health},
				{Name: propPrefix + "memorySafety", Value: c.MemorySafety},
				{Name: propPrefix + "criticalSet", Value: strconv.FormatBool(c.InCriticalSet)},
				{Name: propPrefix + "cumulativeShare", Value: strconv.FormatFloat(c.CumulativeShare, 'f', 4, 64)},
			}})
	}
	if err := sbom.Write(w, doc, sbom.CycloneDXJSON); err != nil {
		return fmt.Errorf("write inventory as CycloneDX: %w", err)
	}
	return nil
}

// nameOf returns a base purl's name and namespace (its group).
func nameOf(base string) (name, group string) {
	p, err := purl.Parse(base)
	if err != nil {
		return base, ""
	}
	return p.Name, p.Namespace
}
