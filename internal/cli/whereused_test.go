package cli

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/siegel-oss/siegel/internal/portfolio"
	"github.com/siegel-oss/siegel/internal/store"
	"github.com/siegel-oss/siegel/internal/vulndb/vulndbtest"
)

// where-used against the local store: every organization's releases or one's, as a table or
// JSON, an advisory from the vulnerability database, and usage errors with exit code 2.
func TestWhereUsedLocal(t *testing.T) {
	data := t.TempDir()
	st, err := store.OpenSQLite(t.Context(), data, func() time.Time { return time.Date(2026, 11, 22, 0, 0, 0, 0, time.UTC) })
	if err != nil {
		t.Fatal(err)
	}
	for i, org := range []string{"ACME", "Globex"} {
		o, _ := st.CreateOrganization(t.Context(), org, "small", false)
		p, _ := st.CreateProduct(t.Context(), o.ID, "Router", "router", "default")
		r, _ := st.CreateRelease(t.Context(), p.ID, "1.0", "", "2031-12")
		v := []string{"2.3.0", "2.5.0"}[i]
		if _, err := st.AddSBOM(t.Context(), r.ID, store.SBOMContent{Format: "cyclonedx-json", SHA256: org, Components: []store.Component{{Ref: "l", Name: "example-lib", Version: v,
			PURL: "pkg:pypi/example-lib@" + v, Ecosystem: "PyPI", Lookup: "example-lib", MatchVersion: v, Direct: true}}}); err != nil {
			t.Fatal(err)
		}
	}
	st.Close()
	db := vulndbtest.Open(t)
	vdir := t.TempDir()
	if err := db.Export(t.Context(), filepath.Join(vdir, "vulndb.sqlite")); err != nil {
		t.Fatal(err)
	}

	code, out, errOut := invokeCLI(t, "", "where-used", "--data", data, "pkg:pypi/example-lib")
	if code != ExitOK || !strings.Contains(out, "2 occurrences of pkg:pypi/example-lib") || !strings.Contains(out, "Globex") || !strings.Contains(out, "ACME") {
		t.Errorf("exit %d\n%s%s", code, out, errOut)
	}
	code, out, _ = invokeCLI(t, "", "where-used", "--data", data, "--org", "Globex", "--format", "json", "pkg:pypi/example-lib")
	var res portfolio.Result
	if err := json.Unmarshal([]byte(out), &res); code != ExitOK || err != nil || res.Total != 1 || res.Items[0].Organization != "Globex" {
		t.Errorf("Globex, JSON: exit %d, %v\n%s", code, err, out)
	}
	code, out, errOut = invokeCLI(t, "", "where-used", "--data", data, "--db", vdir, "--advisory", "CVE-2026-1001")
	if code != ExitOK || !strings.Contains(out, "1 occurrences of versions CVE-2026-1001 affects") || !strings.Contains(out, "2.3.0") || strings.Contains(out, "2.5.0") {
		t.Errorf("advisory: exit %d\n%s%s", code, out, errOut)
	}
	code, out, _ = invokeCLI(t, "", "where-used", "--data", data, "--range", ">=2.4", "pkg:pypi/example-lib")
	if code != ExitOK || !strings.Contains(out, "1 occurrences of pkg:pypi/example-lib in >=2.4") || !strings.Contains(out, "2.5.0") {
		t.Errorf("range: exit %d\n%s", code, out)
	}
	for _, args := range [][]string{{}, {"--advisory", "CVE-1", "pkg:pypi/x"}, {"--format", "xml", "pkg:pypi/x"}, {"--range", ">>1", "pkg:pypi/x"}, {"a", "b"}} {
		if code, _, _ := invokeCLI(t, "", append([]string{"where-used", "--data", data}, args...)...); code != ExitUsage {
			t.Errorf("%v: exit %d, want %d", args, code, ExitUsage)
		}
	}
}
