package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/siegel-oss/siegel/internal/health"
)

const healthSBOM = `{
  "bomFormat": "CycloneDX", "specVersion": "1.6", "version": 1,
  "metadata": {"component": {"type": "application", "name": "gateway", "version": "1.0", "bom-ref": "gateway"}},
  "components": [
    {"type": "library", "bom-ref": "a", "name": "widgetdb", "version": "2.7.1", "purl": "pkg:npm/widgetdb@2.7.1"},
    {"type": "library", "bom-ref": "b", "name": "widgetdb", "version": "3.10.2", "purl": "pkg:npm/widgetdb@3.10.2"},
    {"type": "library", "bom-ref": "c", "name": "request", "version": "2.88.2", "purl": "pkg:npm/request@2.88.2"},
    {"type": "library", "bom-ref": "d", "name": "left-pad", "version": "1.3.0", "purl": "pkg:npm/left-pad@1.3.0"}
  ]
}`

func healthDB(t *testing.T) (dir, sbomPath string) {
	t.Helper()
	dir = t.TempDir()
	if code, _, errOut := invokeCLI(t, "", "db", "update", "--db", dir, "--source", "../vulndb/testdata/mirror"); code != 0 {
		t.Fatalf("db update: %d %s", code, errOut)
	}
	code, out, errOut := invokeCLI(t, "", "db", "update", "--db", dir,
		"--eol", "../health/testdata/eol", "--npm", "../health/testdata/registry/npm")
	if code != 0 {
		t.Fatalf("db update --eol: %d %s", code, errOut)
	}
	if !strings.Contains(out, "endoflife.date") || !strings.Contains(out, "2 products") {
		t.Errorf("db update output %q", out)
	}
	sbomPath = filepath.Join(t.TempDir(), "bom.cdx.json")
	if err := os.WriteFile(sbomPath, []byte(healthSBOM), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir, sbomPath
}

func TestScanHealth(t *testing.T) {
	dir, bom := healthDB(t)
	code, out, errOut := invokeCLI(t, "", "scan", "--db", dir, "--health", "--format", "json", bom)
	if code != 0 {
		t.Fatalf("scan --health: %d %s", code, errOut)
	}
	var doc struct {
		Health health.Report `json:"health"`
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatal(err)
	}
	// WidgetDB 2.7 ended in 2020; request is deprecated (and, with no release since 2020,
	// unmaintained: the worst verdict counts); left-pad is covered by no data.
	want := map[health.Kind]int{health.EndOfLife: 1, health.Deprecated: 1, health.Unknown: 1}
	if doc.Health.Counts[health.Supported]+doc.Health.Counts[health.EndOfLife] != 2 {
		t.Errorf("counts %v", doc.Health.Counts)
	}
	for k, n := range want {
		if k != health.EndOfLife && doc.Health.Counts[k] != n {
			t.Errorf("%s: %d, want %d (counts %v)", k, doc.Health.Counts[k], n, doc.Health.Counts)
		}
	}
	if !strings.Contains(errOut, "the health of 1 of 4 components is unknown") {
		t.Errorf("no warning about unknown health: %s", errOut)
	}

	// The table has a health section naming source and data date.
	code, out, _ = invokeCLI(t, "", "scan", "--db", dir, "--health", bom)
	if code != 0 || !strings.Contains(out, "COMPONENT HEALTH (4 components)") ||
		!strings.Contains(out, "end of life 2020-01-01") || !strings.Contains(out, "endoflife.date (2025-09-01)") {
		t.Errorf("table (%d):\n%s", code, out)
	}

	// A release supported until 2199 outlives WidgetDB 3.10's support: a mismatch with both dates.
	code, out, _ = invokeCLI(t, "", "scan", "--db", dir, "--support-end", "2199-12", "--fail-on", "mismatch", bom)
	if code != 3 || !strings.Contains(out, "release supported until 2199-12-31") {
		t.Errorf("--fail-on mismatch: exit %d\n%s", code, out)
	}
}

func TestScanHealthFailOn(t *testing.T) {
	dir, bom := healthDB(t)
	for _, tt := range []struct {
		failOn string
		code   int
	}{
		{"eol", 3},
		{"deprecated", 3},
		{"high,deprecated", 3},
		{"retracted", 0},
		{"none", 0},
		{"eol,bogus", 2},
		{"high,critical", 2},
	} {
		code, _, errOut := invokeCLI(t, "", "scan", "--db", dir, "--fail-on", tt.failOn, bom)
		if code != tt.code {
			t.Errorf("--fail-on %s: exit %d, want %d (%s)", tt.failOn, code, tt.code, errOut)
		}
	}
}

func TestSplitFailOn(t *testing.T) {
	vuln, kinds, err := splitFailOn("eol,high,unmaintained")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]health.Kind{health.EndOfLife, health.Unmaintained}, kinds); vuln != "high" || diff != "" {
		t.Errorf("vuln %q kinds %v", vuln, kinds)
	}
}
