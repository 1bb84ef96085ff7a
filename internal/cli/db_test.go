package cli

import (
	"bytes"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/siegel-oss/siegel/internal/vulndb"
)

// TestDBUpdateFromMirror updates from a mirror folder holding OSV records and the KEV catalogue
// side by side: both are loaded (and logged with their origin), db status shows each feed with
// its count and date, and the feeds the mirror lacks as MISSING with a warning.
func TestDBUpdateFromMirror(t *testing.T) {
	dir := t.TempDir()
	code, out, errOut := invokeCLI(t, "", "db", "update", "--db", dir, "--source", "../vulndb/testdata/mirror")
	if code != 0 {
		t.Fatalf("db update: %d\n%s%s", code, out, errOut)
	}
	for _, want := range []string{"OSV         ../vulndb/testdata/mirror/osv\n", "CISA KEV    ../vulndb/testdata/mirror/kev/known_exploited_vulnerabilities.json\n", "FIRST EPSS  not given\n"} {
		if !strings.Contains(out, want) {
			t.Errorf("update output lacks %q:\n%s", want, out)
		}
	}
	if !strings.Contains(errOut, `level=WARN msg="vulnerability feed not configured: what it tells will not be known" feed="FIRST EPSS"`) {
		t.Errorf("no warning for the feed not given:\n%s", errOut)
	}
	code, out, errOut = invokeCLI(t, "", "db", "status", "--db", dir)
	if code != 0 {
		t.Fatalf("db status: %d %s", code, errOut)
	}
	for _, want := range []string{"CISA KEV          2 records  dated 2026-11-01T12:00:00.000Z", "FIRST EPSS  MISSING", "ENISA EUVD  MISSING"} {
		if !strings.Contains(out, want) {
			t.Errorf("db status lacks %q:\n%s", want, out)
		}
	}
	if !strings.Contains(errOut, `level=WARN msg="feed missing from the vulnerability database: what it tells is not known" feed="FIRST EPSS"`) {
		t.Errorf("no warning for the missing feed:\n%s", errOut)
	}
}

// TestServeSourcesNamesEachFeed checks what serve's scheduled updates read: the KEV catalogue
// beside an OSV folder given to --db-source, or named with --kev, each logged with its origin;
// without one, a warning.
func TestServeSourcesNamesEachFeed(t *testing.T) {
	mirrorKEV := filepath.Join("../vulndb/testdata/mirror", "kev", "known_exploited_vulnerabilities.json")
	for _, tc := range []struct {
		name, source string
		named        vulndb.Sources
		wantKEV      string
		wantLog      string
	}{
		{"OSV folder of a mirror", "../vulndb/testdata/mirror/osv", vulndb.Sources{}, mirrorKEV, "from=" + mirrorKEV},
		{"the mirror", "../vulndb/testdata/mirror", vulndb.Sources{}, mirrorKEV, "from=" + mirrorKEV},
		{"--kev", "../vulndb/testdata/osv", vulndb.Sources{KEV: "../vulndb/testdata/feeds/kev.json"}, "../vulndb/testdata/feeds/kev.json", "from=../vulndb/testdata/feeds/kev.json"},
		{"no KEV anywhere", "../vulndb/testdata/osv", vulndb.Sources{}, "", `level=WARN msg="vulnerability feed not configured: what it tells will not be known" feed="CISA KEV"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var logs bytes.Buffer
			env := &Env{Log: slog.New(slog.NewTextHandler(&logs, nil)), Getenv: func(string) string { return "" }, Now: time.Now}
			s, err := serveSources(t.Context(), env, t.TempDir(), tc.source, tc.named)
			if err != nil {
				t.Fatal(err)
			}
			if s.KEV != tc.wantKEV {
				t.Errorf("KEV = %q, want %q", s.KEV, tc.wantKEV)
			}
			if !strings.Contains(logs.String(), tc.wantLog) {
				t.Errorf("log lacks %s:\n%s", tc.wantLog, logs.String())
			}
		})
	}
	env := &Env{Log: slog.New(slog.DiscardHandler), Getenv: func(string) string { return "" }, Now: time.Now}
	if _, err := serveSources(t.Context(), env, t.TempDir(), "", vulndb.Sources{KEV: "no-such-kev.json"}); err == nil {
		t.Error("a --kev file that does not exist accepted")
	}
}
