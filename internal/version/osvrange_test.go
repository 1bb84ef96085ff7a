package version

import (
	"strings"
	"testing"
)

func TestAffects(t *testing.T) {
	eco := func(events ...Event) Range { return Range{Type: RangeEcosystem, Events: events} }
	tests := []struct {
		name    string
		aff     Affected
		version string
		commit  string
		want    bool
		wantErr string
	}{
		{"introduced 0, fixed: before fix", Affected{Ecosystem: "PyPI", Ranges: []Range{eco(Event{Introduced: "0"}, Event{Fixed: "2.32.0"})}}, "2.31.0", "", true, ""},
		{"introduced 0, fixed: at fix", Affected{Ecosystem: "PyPI", Ranges: []Range{eco(Event{Introduced: "0"}, Event{Fixed: "2.32.0"})}}, "2.32.0", "", false, ""},
		{"pre-release of the fix is still affected", Affected{Ecosystem: "PyPI", Ranges: []Range{eco(Event{Introduced: "0"}, Event{Fixed: "2.0"})}}, "2.0rc1", "", true, ""},
		{"before introduced", Affected{Ecosystem: "npm", Ranges: []Range{eco(Event{Introduced: "4.0.0"}, Event{Fixed: "4.17.21"})}}, "3.10.1", "", false, ""},
		{"unsorted events, two windows: in the second", Affected{Ecosystem: "Maven", Ranges: []Range{eco(
			Event{Fixed: "2.15.0"}, Event{Introduced: "2.13.0"}, Event{Fixed: "2.12.2"}, Event{Introduced: "2.0-beta9"})}}, "2.14.1", "", true, ""},
		{"unsorted events, two windows: between them", Affected{Ecosystem: "Maven", Ranges: []Range{eco(
			Event{Fixed: "2.15.0"}, Event{Introduced: "2.13.0"}, Event{Fixed: "2.12.2"}, Event{Introduced: "2.0-beta9"})}}, "2.12.3", "", false, ""},
		{"last_affected is inclusive", Affected{Ecosystem: "Go", Ranges: []Range{eco(Event{Introduced: "v1.0.0"}, Event{LastAffected: "v1.4.2"})}}, "v1.4.2", "", true, ""},
		{"after last_affected", Affected{Ecosystem: "Go", Ranges: []Range{eco(Event{Introduced: "v1.0.0"}, Event{LastAffected: "v1.4.2"})}}, "v1.4.3", "", false, ""},
		{"limit caps the range", Affected{Ecosystem: "npm", Ranges: []Range{eco(Event{Introduced: "0"}, Event{Limit: "3.0.0"})}}, "3.1.0", "", false, ""},
		{"limit star is no limit", Affected{Ecosystem: "npm", Ranges: []Range{eco(Event{Introduced: "0"}, Event{Limit: "*"})}}, "9.0.0", "", true, ""},
		{"explicit versions list", Affected{Ecosystem: "PyPI", Versions: []string{"1.0", "1.1"}}, "1.0.0", "", true, ""},
		{"versions list: exact match of a version that does not parse", Affected{Ecosystem: "PyPI", Versions: []string{"2.0.0-final", "0123abcd"}}, "2.0.0-final", "", true, ""},
		{"not in versions list", Affected{Ecosystem: "PyPI", Versions: []string{"1.0", "1.1"}}, "1.2", "", false, ""},
		{"Debian with release suffix, dpkg order", Affected{Ecosystem: "Debian:12", Ranges: []Range{eco(Event{Introduced: "0"}, Event{Fixed: "3.0.13-1~deb12u1"})}}, "3.0.11-1~deb12u2", "", true, ""},
		{"Debian fixed version installed", Affected{Ecosystem: "Debian:12", Ranges: []Range{eco(Event{Introduced: "0"}, Event{Fixed: "3.0.13-1~deb12u1"})}}, "3.0.13-1~deb12u1", "", false, ""},
		{"Alpine with release suffix", Affected{Ecosystem: "Alpine:v3.20", Ranges: []Range{eco(Event{Introduced: "0"}, Event{Fixed: "1.36.1-r29"})}}, "1.36.1-r28", "", true, ""},
		{"Ubuntu with LTS suffix", Affected{Ecosystem: "Ubuntu:22.04:LTS", Ranges: []Range{eco(Event{Introduced: "0"}, Event{Fixed: "1.1.1f-1ubuntu2.22"})}}, "1.1.1f-1ubuntu2.20", "", true, ""},
		{"Red Hat epoch", Affected{Ecosystem: "Red Hat", Ranges: []Range{eco(Event{Introduced: "0"}, Event{Fixed: "1:3.0.7-27.el9"})}}, "3.0.9-1.el9", "", true, ""}, // epoch 0 < epoch 1
		{"Red Hat epoch, fixed", Affected{Ecosystem: "Red Hat", Ranges: []Range{eco(Event{Introduced: "0"}, Event{Fixed: "1:3.0.7-27.el9"})}}, "1:3.0.9-1.el9", "", false, ""},
		{"SEMVER range for a Go module version with v", Affected{Ecosystem: "Go", Ranges: []Range{{Type: RangeSemVer, Events: []Event{{Introduced: "0"}, {Fixed: "0.23.0"}}}}}, "v0.22.0", "", true, ""},
		{"GIT range without commit does not match and does not stop the others", Affected{Ecosystem: "PyPI", Ranges: []Range{
			{Type: RangeGit, Repo: "https://example.org/r", Events: []Event{{Introduced: "0"}, {Fixed: "abcdef1234567"}}},
			eco(Event{Introduced: "1.0"}, Event{Fixed: "1.5"})}}, "1.2", "", true, ""},
		{"GIT range with the introducing commit", Affected{Ecosystem: "PyPI", Ranges: []Range{{Type: RangeGit, Events: []Event{{Introduced: "1111111aaaa"}, {Fixed: "2222222bbbb"}}}}}, "", "1111111aaaa", true, ""},
		{"GIT range with the fixing commit", Affected{Ecosystem: "PyPI", Ranges: []Range{{Type: RangeGit, Events: []Event{{Introduced: "1111111aaaa"}, {Fixed: "2222222bbbb"}}}}}, "", "2222222bbbb", false, ""},
		{"an invalid event version reports and other ranges still decide", Affected{Ecosystem: "npm", Ranges: []Range{
			eco(Event{Introduced: "0"}, Event{Fixed: "not-a-version"}),
			eco(Event{Introduced: "1.0.0"}, Event{Fixed: "2.0.0"})}}, "1.5.0", "", true, "range 0 (ECOSYSTEM)"},
		{"unknown range type", Affected{Ecosystem: "npm", Ranges: []Range{{Type: "DATE", Events: []Event{{Introduced: "0"}}}}}, "1.0.0", "", false, "not an OSV range type"},
		{"several ranges of one package: none matches", Affected{Ecosystem: "RubyGems", Ranges: []Range{
			eco(Event{Introduced: "6.0.0"}, Event{Fixed: "6.1.7.8"}), eco(Event{Introduced: "7.0.0"}, Event{Fixed: "7.0.8.4"})}}, "7.1.3.4", "", false, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.aff.Affects(Target{Version: tt.version, Commit: tt.commit})
			if got != tt.want {
				t.Errorf("Affects(%q) = %v, want %v (err %v)", tt.version, got, tt.want, err)
			}
			switch {
			case tt.wantErr == "" && err != nil:
				t.Errorf("unexpected error %v", err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Errorf("error %v, want one containing %q", err, tt.wantErr)
			}
		})
	}
	if _, err := (&Affected{Ecosystem: "NoSuchEco"}).Affects(Target{Version: "1"}); err == nil {
		t.Error("unknown ecosystem accepted")
	}
}

// TestAffectsVersionsListCached checks that a versions list parsed once through a cache still
// decides every version tested against it as without the cache: equal versions spelled
// differently match, others do not, and an entry that does not parse is skipped.
func TestAffectsVersionsListCached(t *testing.T) {
	cache := NewParseCache()
	a := Affected{Ecosystem: "PyPI", Versions: []string{"1.0", "not a version!", "1.1.post1", "2.0rc1"}, Cache: cache}
	other := Affected{Ecosystem: "PyPI", Versions: a.Versions[:1], Cache: cache} // the same array, shorter
	tests := []struct {
		aff     *Affected
		version string
		want    bool
	}{
		{&a, "1.0.0", true}, {&a, "1.1", false}, {&a, "1.1.post1", true}, {&a, "2.0.0rc1", true}, {&a, "2.0", false},
		{&other, "1.1.post1", false}, {&other, "1.0.0", true}, {&a, "1.0.0", true}, {&a, "1.1.0.post1", true},
	}
	for _, tt := range tests {
		for range 2 { // the first call fills the cache, the second reads it
			if got, _ := tt.aff.Affects(Target{Version: tt.version}); got != tt.want {
				t.Errorf("%v affects %s = %v, want %v", tt.aff.Versions, tt.version, got, tt.want)
			}
		}
	}
}

// TestAffectsRangeCached checks that a range parsed and sorted once through a cache decides
// every version tested against it as a fresh evaluation does, errors included.
func TestAffectsRangeCached(t *testing.T) {
	ranges := []Range{
		{Type: RangeEcosystem, Events: []Event{{Fixed: "2.15.0"}, {Introduced: "2.13.0"}, {Fixed: "2.12.2"}, {Introduced: "2.0-beta9"}}},
		{Type: RangeSemVer, Events: []Event{{Introduced: "0"}, {Fixed: "v1.4.0"}}},
		{Type: RangeEcosystem, Events: []Event{{Introduced: "not a version!"}}},
	}
	cached := Affected{Ecosystem: "Maven", Ranges: ranges, Cache: NewParseCache()}
	for _, v := range []string{"2.14.1", "2.12.3", "2.0", "1.3.9", "1.4.0", "2.16", "2.0-beta9", "2.13.0", "2.12.2"} {
		fresh := Affected{Ecosystem: "Maven", Ranges: ranges}
		want, wantErr := fresh.Affects(Target{Version: v})
		for range 2 {
			got, err := cached.Affects(Target{Version: v})
			if got != want || (err == nil) != (wantErr == nil) || (err != nil && err.Error() != wantErr.Error()) {
				t.Errorf("%s: cached %v, %v; fresh %v, %v", v, got, err, want, wantErr)
			}
		}
	}
}
