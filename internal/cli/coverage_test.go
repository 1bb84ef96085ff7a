package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/siegel-oss/siegel/internal/firmware/fwtest"
	"github.com/siegel-oss/siegel/internal/vulndb"
	"github.com/siegel-oss/siegel/internal/vulndb/vulndbtest"
)

// expressApp is a lockfile with lodash 4.17.15, minimist 1.2.0 and express 4.16.0 and its
// dependencies: 34 npm packages, several of them with published advisories.
const expressApp = "testdata/lockfiles/express-app/package-lock.json"

// goOnlyDB imports one Go record and the KEV catalogue: a database without npm advisories.
func goOnlyDB(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	code, _, stderr := invokeCLI(t, "", "db", "update", "--db", dir,
		"--source", filepath.Join(vulndbtest.Dir(), "osv", "GO-2026-4001.json"),
		"--kev", filepath.Join(vulndbtest.Dir(), "feeds", "kev.json"))
	if code != ExitOK {
		t.Fatalf("db update: exit %d: %s", code, stderr)
	}
	return dir
}

// TestScanSaysWhatWasNotChecked is the regression test of a lockfile scanned against a
// database without npm advisories: it used to print "0 findings ... scanned" and exit 0 as if
// clean. It now says that none of its components was checked and why, on stdout and stderr, in
// the JSON, and fails --fail-on unchecked.
func TestScanSaysWhatWasNotChecked(t *testing.T) {
	db := goOnlyDB(t)
	code, out, stderr := invokeCLI(t, "", "scan", "--db", db, expressApp)
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, want := range []string{
		"0 findings (0 known exploited, 0 unrated) in 34 packages scanned",
		"NOT A CLEAN RESULT: 34 of 34 components were not checked.",
		"Checked 0 of 34 components.",
		"npm          0 of 34 checked against 0 advisories; not checked 34: no advisories for npm in the database",
		"Database: OSV ", "KEV ", "EPSS missing, EUVD missing",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("table lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "No known vulnerabilities") {
		t.Errorf("table calls an unchecked inventory clean:\n%s", out)
	}
	if !strings.Contains(stderr, "warning: 34 of 34 components were not checked: 34 npm in ecosystems the database holds no advisories for") {
		t.Errorf("stderr lacks the warning:\n%s", stderr)
	}

	code, out, stderr = invokeCLI(t, "", "scan", "--db", db, "--format", "json", expressApp)
	if code != ExitOK {
		t.Fatalf("json: exit %d: %s", code, stderr)
	}
	var res struct {
		Coverage struct {
			Components, Checked, NotChecked int
			Ecosystems                      []struct {
				Ecosystem                      string
				Advisories, Components, NoData int
			}
		}
		NotChecked []struct{ PURL, Reason string }
	}
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatal(err)
	}
	if c := res.Coverage; c.Components != 34 || c.Checked != 0 || c.NotChecked != 34 || len(c.Ecosystems) != 1 ||
		c.Ecosystems[0].Ecosystem != "npm" || c.Ecosystems[0].NoData != 34 || len(res.NotChecked) != 34 || res.NotChecked[0].Reason != "no-data" {
		t.Errorf("JSON coverage %+v, not checked %d", res.Coverage, len(res.NotChecked))
	}

	code, _, stderr = invokeCLI(t, "", "scan", "--db", db, "--fail-on", "unchecked", expressApp)
	if code != ExitPolicy || !strings.Contains(stderr, "34 component(s) not checked at --fail-on unchecked") {
		t.Errorf("--fail-on unchecked: exit %d: %s", code, stderr)
	}
}

// TestScanCleanOnlyWhenChecked: against a database with npm advisories, the same lockfile is
// checked whole, and only then called free of known vulnerabilities.
func TestScanCleanOnlyWhenChecked(t *testing.T) {
	db := vulndbtest.Open(t)
	dir := filepath.Dir(db.Path())
	code, out, stderr := invokeCLI(t, "", "scan", "--db", dir, "--max-db-age", "100000d", "--fail-on", "unchecked", expressApp)
	if code != ExitOK {
		t.Fatalf("exit %d: %s\n%s", code, stderr, out)
	}
	for _, want := range []string{
		"No known vulnerabilities in the 34 components checked.",
		"npm          34 of 34 checked against 1 advisories",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("table lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(stderr, "warning") {
		t.Errorf("warnings for a fresh, complete database: %s", stderr)
	}
	// The fixture's feeds are from 2026-11-22: with the default age allowed they are stale.
	if _, _, stderr := invokeCLI(t, "", "scan", "--db", dir, "--max-db-age", "1d", expressApp); !strings.Contains(stderr, "more than 1 day ago") {
		t.Errorf("no stale warning: %s", stderr)
	}
}

// TestScanEmptyDatabase is the README's first run: a database created but holding nothing.
func TestScanEmptyDatabase(t *testing.T) {
	dir := t.TempDir()
	db, err := vulndb.Open(t.Context(), dir, true)
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	code, out, stderr := invokeCLI(t, "", "scan", "--db", dir, expressApp)
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if !strings.Contains(out, "NOT A CLEAN RESULT: 34 of 34 components were not checked.") || !strings.Contains(out, "Database: OSV missing, KEV missing") {
		t.Errorf("table:\n%s", out)
	}
	for _, want := range []string{"holds no advisories: nothing was checked", "no CISA KEV catalogue imported"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr lacks %q: %s", want, stderr)
		}
	}
	if code, _, _ := invokeCLI(t, "", "scan", "--db", dir, "--fail-on", "unchecked", expressApp); code != ExitPolicy {
		t.Errorf("--fail-on unchecked against an empty database: exit %d", code)
	}
	var sarif struct {
		Runs []struct {
			Invocations []struct {
				Notifications []struct{ Level string } `json:"toolExecutionNotifications"`
			}
			Properties struct {
				Coverage struct{ NotChecked int }
			}
		}
	}
	_, out, _ = invokeCLI(t, "", "scan", "--db", dir, "--format", "sarif", expressApp)
	if err := json.Unmarshal([]byte(out), &sarif); err != nil {
		t.Fatal(err)
	}
	if r := sarif.Runs[0]; r.Properties.Coverage.NotChecked != 34 || len(r.Invocations) != 1 || len(r.Invocations[0].Notifications) < 2 {
		t.Errorf("SARIF run %+v", r)
	}
	validateSARIF(t, []byte(out))
}

// TestFirmwareComponentWithoutAdvisories: an image whose only component found is OpenSSL
// 1.1.1d, by its version string, used to show no vulnerabilities. The component has no
// ecosystem a vulnerability database covers: it is listed as not checked.
func TestFirmwareComponentWithoutAdvisories(t *testing.T) {
	img := fwtest.CPIO(map[string]string{
		"usr/lib/libcrypto.so.1.1": "\x7fELF" + strings.Repeat("\x00", 256) + "OpenSSL 1.1.1d  10 Sep 2019\x00",
	}, nil)
	p := filepath.Join(t.TempDir(), "fw.bin")
	if err := os.WriteFile(p, img, 0o644); err != nil {
		t.Fatal(err)
	}
	db := vulndbtest.Open(t)
	dir := filepath.Dir(db.Path())
	code, out, stderr := invokeCLI(t, "", "firmware", "scan", "--db", dir, "--max-db-age", "100000d", "--format", "json", p)
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var rep struct {
		Components []struct{ Name, Version string }
		Coverage   struct{ Components, Checked, NotChecked, UnknownEcosystem int }
		NotChecked []struct{ PURL, Reason string }
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatal(err)
	}
	found := false
	for _, c := range rep.Components {
		found = found || (c.Name == "openssl" && c.Version == "1.1.1d")
	}
	if !found || rep.Coverage.Checked != 0 || rep.Coverage.NotChecked == 0 || len(rep.NotChecked) != rep.Coverage.NotChecked ||
		!strings.Contains(out, "pkg:generic/openssl@1.1.1d") || rep.NotChecked[0].Reason != "unknown-ecosystem" {
		t.Errorf("components %+v, coverage %+v, not checked %+v", rep.Components, rep.Coverage, rep.NotChecked)
	}
	code, out, _ = invokeCLI(t, "", "firmware", "scan", "--db", dir, "--max-db-age", "100000d", p)
	if code != ExitOK || !strings.Contains(out, "NOT A CLEAN RESULT") || strings.Contains(out, "No known vulnerabilities") {
		t.Errorf("table (exit %d):\n%s", code, out)
	}
	if code, _, _ := invokeCLI(t, "", "firmware", "scan", "--db", dir, "--fail-on", "unchecked", p); code != ExitPolicy {
		t.Errorf("--fail-on unchecked: exit %d", code)
	}
	// Without a database nothing is matched, and the output says so.
	code, out, stderr = invokeCLI(t, "", "firmware", "scan", "--db", t.TempDir(), p)
	if code != ExitOK || !strings.Contains(out, "NOT A CLEAN RESULT") || !strings.Contains(stderr, "no vulnerability database") {
		t.Errorf("without a database (exit %d):\n%s\n%s", code, out, stderr)
	}
}
