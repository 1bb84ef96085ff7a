package portfolio

import (
	"testing"

	"github.com/siegel-oss/siegel/internal/version"
)

// Ranges from the examples of the purl specification's vers document, evaluated with the
// ecosystems' own comparators.
func TestRangeContains(t *testing.T) {
	for _, tc := range []struct {
		eco, rng string
		in, out  []string
	}{
		{"npm", "vers:npm/1.2.3|>=2.0.0|<5.0.0", []string{"1.2.3", "2.0.0", "4.9.9"}, []string{"1.2.4", "5.0.0", "1.9.0"}},
		{"PyPI", "vers:pypi/0.0.0|0.0.1|0.0.2|0.0.3|1.0|2.0pre1", []string{"0.0.2", "1.0", "1.0.0", "2.0pre1"}, []string{"0.0.4", "2.0"}},
		{"Maven", "vers:maven/>=1.0.0-beta1|<=1.7.5|>=7.0.0-M1|<=7.0.7|>=7.1.0|<=7.1.2|>=8.0.0-M1|<=8.0.1",
			[]string{"1.0.0", "1.7.5", "7.0.0", "7.1.1", "8.0.1"}, []string{"1.7.6", "7.0.8", "7.1.3", "8.0.2", "0.9"}},
		{"npm", ">=1.0.0, <2.0.0", []string{"1.0.0", "1.99.0", "2.0.0-rc.1"}, []string{"0.9.0", "2.0.0"}},
		{"npm", "<1.0.0", []string{"0.1.0"}, []string{"1.0.0"}},
		{"npm", ">2.0.0", []string{"2.0.1"}, []string{"2.0.0"}},
		{"npm", "!=1.0.0", []string{"1.0.1", "0.1.0"}, []string{"1.0.0"}},
		{"npm", ">=1.0.0|!=1.5.0|<2.0.0", []string{"1.4.0"}, []string{"1.5.0", "2.0.0"}},
		{"npm", "*", []string{"0.0.1", "99.0.0"}, nil},
		{"Debian", "vers:deb/>=1:1.2-1|<1:1.3", []string{"1:1.2-2", "1:1.2.9"}, []string{"1.9", "1:1.3-1"}},
		{"Go", ">=v0.3.0|<v0.3.8", []string{"v0.3.7"}, []string{"v0.3.8", "v0.2.0"}},
	} {
		r, err := ParseRange(tc.rng)
		if err != nil {
			t.Fatalf("%s: %v", tc.rng, err)
		}
		c, err := version.Lookup(tc.eco)
		if err != nil {
			t.Fatal(err)
		}
		for _, v := range tc.in {
			if ok, err := r.Contains(c, v); !ok || err != nil {
				t.Errorf("%s contains %s: got %v, %v", tc.rng, v, ok, err)
			}
		}
		for _, v := range tc.out {
			if ok, err := r.Contains(c, v); ok || err != nil {
				t.Errorf("%s does not contain %s: got %v, %v", tc.rng, v, ok, err)
			}
		}
	}
}

func TestParseRangeErrors(t *testing.T) {
	for _, s := range []string{"", "vers:", "vers:/1.0", ">=", "*|>=1.0", ">=1.0 2.0", "<<1"} {
		if _, err := ParseRange(s); err == nil {
			t.Errorf("ParseRange(%q) accepted", s)
		}
	}
	r, _ := ParseRange(">=1.0|<2.0")
	c, _ := version.Lookup("npm")
	if _, err := r.Contains(c, "not a version"); err == nil {
		t.Error("an unparsable version was placed in a range")
	}
}

func FuzzParseRange(f *testing.F) {
	f.Add("vers:npm/>=1.0.0|<2.0.0")
	f.Add(">=1|!=1.5|<2|=3")
	c, _ := version.Lookup("npm")
	f.Fuzz(func(t *testing.T, s string) {
		r, err := ParseRange(s)
		if err != nil {
			return
		}
		r.Contains(c, "1.2.3")
		if _, err := ParseRange(r.String()); err != nil {
			t.Errorf("%q reads back as %q, which does not parse: %v", s, r.String(), err)
		}
	})
}
