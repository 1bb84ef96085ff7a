package vulndb_test

import (
	"bytes"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/siegel-oss/siegel/internal/vulndb"
	"github.com/siegel-oss/siegel/internal/vulndb/vulndbtest"
)

// TestMirror resolves the feeds of testdata/mirror, laid out as a mirror holds them side by side
// (osv/, kev/), from the mirror itself, from its OSV folder, and with a feed named explicitly.
func TestMirror(t *testing.T) {
	kev := filepath.Join("testdata", "mirror", "kev", "known_exploited_vulnerabilities.json")
	other := filepath.Join("testdata", "feeds", "kev.json")
	for _, tc := range []struct {
		name  string
		dir   string
		named vulndb.Sources
		want  vulndb.Sources
	}{
		{"the mirror", "testdata/mirror", vulndb.Sources{}, vulndb.Sources{OSV: "testdata/mirror/osv", KEV: kev}},
		{"the mirror as --source", "testdata/mirror", vulndb.Sources{OSV: "testdata/mirror"}, vulndb.Sources{OSV: "testdata/mirror/osv", KEV: kev}},
		{"its OSV folder: KEV beside it", "testdata/mirror/osv", vulndb.Sources{OSV: "testdata/mirror/osv"}, vulndb.Sources{OSV: "testdata/mirror/osv", KEV: kev}},
		{"a KEV named wins", "testdata/mirror", vulndb.Sources{KEV: other}, vulndb.Sources{OSV: "testdata/mirror/osv", KEV: other}},
		{"an OSV folder alone", "testdata/osv", vulndb.Sources{OSV: "testdata/osv"}, vulndb.Sources{OSV: "testdata/osv"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, _, err := vulndb.Mirror(tc.dir, tc.named)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("Mirror(%s) (-want +got):\n%s", tc.dir, diff)
			}
		})
	}
	if _, _, err := vulndb.Mirror("testdata/no-such-mirror", vulndb.Sources{}); err == nil {
		t.Error("a missing mirror folder accepted")
	}
}

// TestUpdateFromMirrorReportsFeeds updates from the mirror: both feeds are loaded, each is logged
// with where it came from, and the status shows each feed with its date and count; the feeds the
// mirror lacks are missing, with a warning.
func TestUpdateFromMirrorReportsFeeds(t *testing.T) {
	vulndbtest.EachBackend(t, func(t *testing.T, b vulndbtest.Backend) {
		db, err := vulndb.Open(t.Context(), b.Loc(t), true)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		src, _, err := vulndb.Mirror("testdata/mirror", vulndb.Sources{})
		if err != nil {
			t.Fatal(err)
		}
		var logs bytes.Buffer
		log := slog.New(slog.NewTextHandler(&logs, nil))
		if _, err := db.Update(t.Context(), src, now, log); err != nil {
			t.Fatal(err)
		}
		for _, want := range []string{
			`msg="loaded feed" feed=OSV from=testdata/mirror/osv records=2`,
			`msg="loaded feed" feed="CISA KEV" from=testdata/mirror/kev/known_exploited_vulnerabilities.json records=2`,
			`level=WARN msg="feed missing from the vulnerability database" feed="FIRST EPSS"`,
			`level=WARN msg="feed missing from the vulnerability database" feed="ENISA EUVD"`,
		} {
			if !strings.Contains(logs.String(), want) {
				t.Errorf("log lacks %s:\n%s", want, logs.String())
			}
		}
		st, err := db.Status(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		want := []vulndb.Feed{
			{Name: vulndb.FeedOSV, Records: 2, Dated: "2026-03-02T00:00:00Z", Origin: "testdata/mirror/osv", Updated: now},
			{Name: vulndb.FeedKEV, Records: 2, Dated: "2026-11-01T12:00:00.000Z", Origin: "testdata/mirror/kev/known_exploited_vulnerabilities.json", Updated: now},
			{Name: vulndb.FeedEPSS, Missing: true},
			{Name: vulndb.FeedEUVD, Missing: true},
		}
		if diff := cmp.Diff(want, st.Feeds); diff != "" {
			t.Errorf("feeds (-want +got):\n%s", diff)
		}
		// The KEV entry reached the record it names: the finding will be marked exploited.
		if _, ok := feeds(t, db, "CVE-2026-2002").KEV["CVE-2026-2002"]; !ok {
			t.Error("CVE-2026-2002 is not known as exploited after the update from the mirror")
		}
	})
}
