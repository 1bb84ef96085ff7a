package version

import (
	"encoding/json"
	"testing"

	"golang.org/x/mod/semver"
)

// TestLangGoOSVSpelling checks that the Go comparator reads versions as OSV's Go ecosystem writes
// them (golang/vulndb: "1.19.1", without the module's "v") as the same versions Go modules
// write ("v1.19.1"), and orders them as golang.org/x/mod/semver orders the "v" spelling.
func TestLangGoOSVSpelling(t *testing.T) {
	c, err := Lookup("Go")
	if err != nil {
		t.Fatal(err)
	}
	vs := []string{"0.0.1", "1.2.3", "1.2.4", "1.19.0-0", "1.19.1", "1.0.0-rc.1", "0.0.0-20240101000000-abcdef123456"}
	for _, a := range vs {
		for _, b := range vs {
			for _, pair := range [][2]string{{a, b}, {"v" + a, b}, {a, "v" + b}} {
				got, err := Compare(c, pair[0], pair[1])
				if err != nil {
					t.Fatalf("Compare(%q, %q): %v", pair[0], pair[1], err)
				}
				if want := semver.Compare("v"+a, "v"+b); got != want {
					t.Errorf("Compare(%q, %q) = %d, x/mod/semver on the v spelling says %d", pair[0], pair[1], got, want)
				}
			}
		}
	}
	for _, bad := range []string{" 1.2.3", "vv1.2.3", "=1.2.3", "1.2"} {
		if _, err := c.Parse(bad); err == nil {
			t.Errorf("Parse(%q) accepted a version Go does not write", bad)
		}
	}
}

// TestAffectsGoOSVRecord evaluates the affected entries of a record in the shape golang/vulndb
// publishes (the stdlib entry of GO-2022-0969: SEMVER events without "v"), plus the ECOSYSTEM
// ranges and versions lists other databases write for the Go ecosystem in the same spelling,
// against module versions as go.mod and binaries spell them.
func TestAffectsGoOSVRecord(t *testing.T) {
	const record = `[
	 {"package": {"ecosystem": "Go", "name": "stdlib"},
	  "ranges": [{"type": "SEMVER", "events": [{"introduced": "0"}, {"fixed": "1.18.6"}, {"introduced": "1.19.0-0"}, {"fixed": "1.19.1"}]}]},
	 {"package": {"ecosystem": "Go", "name": "example.com/mod"},
	  "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "1.2.0"}, {"fixed": "1.2.4"}]}]},
	 {"package": {"ecosystem": "Go", "name": "example.com/listed"}, "versions": ["0.3.1"]}]`
	var entries []struct {
		Ranges   []Range  `json:"ranges"`
		Versions []string `json:"versions"`
	}
	if err := json.Unmarshal([]byte(record), &entries); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		entry   int
		version string
		want    bool
	}{
		{0, "v1.18.5", true}, {0, "v1.18.6", false}, {0, "v1.19.0", true}, {0, "v1.19.1", false},
		{1, "v1.1.9", false}, {1, "v1.2.0", true}, {1, "v1.2.3", true}, {1, "v1.2.4", false},
		{1, "1.2.3", true}, // a version given in OSV's spelling
		{2, "v0.3.1", true}, {2, "v0.3.2", false},
	}
	for _, tt := range tests {
		e := entries[tt.entry]
		a := Affected{Ecosystem: "Go", Ranges: e.Ranges, Versions: e.Versions}
		got, err := a.Affects(Target{Version: tt.version})
		if err != nil {
			t.Errorf("entry %d, %s: %v", tt.entry, tt.version, err)
		}
		if got != tt.want {
			t.Errorf("entry %d, %s: affected = %v, want %v", tt.entry, tt.version, got, tt.want)
		}
	}
}
