package app

import (
	"net/http/httptest"
	"testing"
	"time"

	"github.com/siegel-oss/siegel/internal/store"
)

// FindingFilter takes what the query names, keeps the default page size when none is named,
// and refuses what is out of range with a message that names the parameter.
func TestFindingFilter(t *testing.T) {
	for _, c := range []struct {
		query string
		want  store.FindingFilter
		err   string
	}{
		{"", store.FindingFilter{Limit: 50}, ""},
		{"severity=high&exploited=true&q=zlib&resolved=true&limit=10&offset=20",
			store.FindingFilter{MinSeverity: "HIGH", ExploitedOnly: true, Search: "zlib", Resolved: true, Limit: 10, Offset: 20}, ""},
		{"limit=0", store.FindingFilter{Limit: 50}, ""},
		{"severity=grave", store.FindingFilter{}, "severity must be critical, high, medium or low"},
		{"limit=1001", store.FindingFilter{}, "limit must be a number from 0 to 1000"},
		{"offset=-1", store.FindingFilter{}, "offset must be a number from 0 to 1073741824"},
	} {
		f, err := FindingFilter(httptest.NewRequest("GET", "/?"+c.query, nil), 50)
		if c.err != "" {
			if err == nil || err.Error() != c.err {
				t.Errorf("%q: error %v, want %q", c.query, err, c.err)
			}
			continue
		}
		if err != nil || f != c.want {
			t.Errorf("%q: %+v, %v; want %+v", c.query, f, err, c.want)
		}
	}
}

// A decision carried over from an earlier release names that release; a finding with such a
// decision of not_affected is not open, one without a decision is.
func TestViewFinding(t *testing.T) {
	x := store.Finding{Vulnerability: "CVE-2024-1", PURL: "pkg:golang/a@1", Data: []byte(`{"id":"CVE-2024-1"}`), FirstSeen: time.Unix(0, 0)}
	v, err := ViewFinding(x, nil)
	if err != nil || !v.Open() || v.VEX != nil {
		t.Fatalf("without a decision: %+v, %v", v, err)
	}
	vex := map[store.VEXKey]store.VEX{{Vulnerability: "CVE-2024-1", PURL: "pkg:golang/a@1"}: {Release: 4, Status: "not_affected", Inherited: true}}
	v, err = ViewFinding(x, vex)
	if err != nil || v.Open() || v.VEX == nil || v.VEX.InheritedFrom != 4 {
		t.Fatalf("with an inherited decision: %+v, %v", v, err)
	}
	if _, err := ViewFinding(store.Finding{Data: []byte("{")}, nil); err == nil {
		t.Error("a finding of broken JSON has a view")
	}
}
