package vulndb_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/siegel-oss/siegel/internal/vulndb"
	"github.com/siegel-oss/siegel/internal/vulndb/vulndbtest"
)

// The details of an advisory — summary, details, references, CWE ids — come from the record as
// imported, which matching does not read.
func TestAdvisoryDetails(t *testing.T) {
	vulndbtest.EachBackend(t, func(t *testing.T, b vulndbtest.Backend) {
		db, err := vulndb.Open(t.Context(), b.Loc(t), true)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		src := t.TempDir()
		// A GitHub advisory as OSV publishes it (trimmed).
		rec := `{"schema_version":"1.6.0","id":"GHSA-jfh8-c2jp-5v3q","modified":"2026-01-02T00:00:00Z","published":"2021-12-10T00:00:00Z",
"aliases":["CVE-2021-44228"],"summary":"Remote code injection in Log4j",
"details":"Apache Log4j2 2.0-beta9 through 2.15.0 JNDI features do not protect against attacker controlled LDAP endpoints.",
"severity":[{"type":"CVSS_V3","score":"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H"}],
"affected":[{"package":{"ecosystem":"Maven","name":"org.apache.logging.log4j:log4j-core"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"2.0-beta9"},{"fixed":"2.15.0"}]}]}],
"references":[{"type":"ADVISORY","url":"https://nvd.nist.gov/vuln/detail/CVE-2021-44228"},{"type":"FIX","url":"https://github.com/apache/logging-log4j2/pull/608"}],
"database_specific":{"cwe_ids":["CWE-917","CWE-20","cwe-502","bogus"],"severity":"CRITICAL","github_reviewed":true}}`
		if err := os.WriteFile(filepath.Join(src, "GHSA-jfh8-c2jp-5v3q.json"), []byte(rec), 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := db.ImportOSVPath(t.Context(), src, now, nil); err != nil {
			t.Fatal(err)
		}
		got, err := db.AdvisoryDetails(t.Context(), []string{"GHSA-jfh8-c2jp-5v3q", "GHSA-none-none-none"})
		if err != nil {
			t.Fatal(err)
		}
		want := []vulndb.Details{{ID: "GHSA-jfh8-c2jp-5v3q", Aliases: []string{"CVE-2021-44228"}, Summary: "Remote code injection in Log4j",
			Details:    "Apache Log4j2 2.0-beta9 through 2.15.0 JNDI features do not protect against attacker controlled LDAP endpoints.",
			References: []vulndb.Reference{{"ADVISORY", "https://nvd.nist.gov/vuln/detail/CVE-2021-44228"}, {"FIX", "https://github.com/apache/logging-log4j2/pull/608"}},
			CWEs:       []string{"CWE-20", "CWE-502", "CWE-917"},
			Severity:   []vulndb.Severity{{Type: "CVSS_V3", Score: "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H"}}}}
		for i := range got {
			got[i].Source = ""
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("details (-want +got):\n%s", diff)
		}
	})
}
