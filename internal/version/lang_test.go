package version

import (
	"os"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/mod/semver"
)

// TestLangReferenceOrderings compares every pair of the reference files with what the
// ecosystem's own implementation answered (testdata/gen-lang.sh).
func TestLangReferenceOrderings(t *testing.T) {
	for _, tc := range []struct{ file, ecosystem string }{
		{"testdata/pypi.tsv", "PyPI"},
		{"testdata/rubygems.tsv", "RubyGems"},
		{"testdata/maven.tsv", "Maven"},
		{"testdata/npm.tsv", "npm"},
	} {
		t.Run(tc.ecosystem, func(t *testing.T) {
			c, err := Lookup(tc.ecosystem)
			if err != nil {
				t.Fatal(err)
			}
			rows := readTSV(t, tc.file)
			if len(rows) < 800 {
				t.Fatalf("only %d reference pairs", len(rows))
			}
			for _, row := range rows {
				want, _ := strconv.Atoi(row[2])
				got, err := Compare(c, row[0], row[1])
				if err != nil {
					t.Errorf("Compare(%q, %q): %v", row[0], row[1], err)
					continue
				}
				if got != want {
					t.Errorf("Compare(%q, %q) = %d, reference says %d", row[0], row[1], got, want)
				}
			}
		})
	}
}

// TestLangPyPIInvalidReference checks that what Python's packaging refuses, Siegel refuses.
func TestLangPyPIInvalidReference(t *testing.T) {
	data, err := os.ReadFile("testdata/pypi-invalid.txt")
	if err != nil {
		t.Fatal(err)
	}
	c, _ := Lookup("PyPI")
	n := 0
	for _, v := range strings.Split(strings.TrimRight(string(data), "\n"), "\n") {
		n++
		if _, err := c.Parse(v); err == nil {
			t.Errorf("Parse(%q) accepted a version packaging refuses", v)
		}
	}
	if n < 10 {
		t.Fatalf("only %d invalid reference versions", n)
	}
}

// TestLangGoAgainstXModSemver checks the Go comparator against golang.org/x/mod/semver, the Go
// toolchain's own implementation, on module versions including pseudo-versions.
func TestLangGoAgainstXModSemver(t *testing.T) {
	vs := []string{
		"v0.0.0", "v0.0.1", "v0.1.0", "v1.0.0", "v1.0.1", "v1.2.3", "v1.10.0", "v2.0.0+incompatible",
		"v2.0.0", "v1.0.0-alpha", "v1.0.0-alpha.1", "v1.0.0-beta", "v1.0.0-rc.1", "v1.0.0-0",
		"v0.0.0-20240101000000-abcdef123456", "v0.0.0-20240102000000-abcdef123456",
		"v1.2.4-0.20240101000000-abcdef123456", "v1.2.3-pre.0.20240101000000-abcdef123456",
		"v1.0.0+meta", "v3.1.4-beta.11", "v3.1.4-beta.2",
	}
	c, _ := Lookup("Go")
	for _, a := range vs {
		for _, b := range vs {
			got, err := Compare(c, a, b)
			if err != nil {
				t.Fatalf("Compare(%q, %q): %v", a, b, err)
			}
			if want := semver.Compare(a, b); got != want {
				t.Errorf("Compare(%q, %q) = %d, x/mod/semver says %d", a, b, got, want)
			}
		}
	}
}

func FuzzLangGoAgainstXModSemver(f *testing.F) {
	f.Add("v1.2.3-alpha.1", "v1.2.3")
	f.Add("v0.0.0-20240101000000-abcdef123456", "v0.0.1")
	c, _ := Lookup("Go")
	f.Fuzz(func(t *testing.T, a, b string) {
		va, errA := c.Parse(a)
		vb, errB := c.Parse(b)
		// x/mod/semver accepts shorthands (v1, v1.2) that module versions never use.
		if errA != nil || errB != nil || semver.Canonical(a) == "" || semver.Canonical(b) == "" {
			return
		}
		if got, want := va.Compare(vb), semver.Compare(a, b); got != want {
			t.Fatalf("Compare(%q, %q) = %d, x/mod/semver says %d", a, b, got, want)
		}
	})
}

// TestLangOrderings checks documented orderings per ecosystem, each chain strictly increasing,
// in both directions.
func TestLangOrderings(t *testing.T) {
	chains := map[string][]string{
		// SemVer 2.0.0, section 11's example.
		"SemVer": {"1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-alpha.beta", "1.0.0-beta", "1.0.0-beta.2", "1.0.0-beta.11", "1.0.0-rc.1", "1.0.0", "2.0.0", "2.1.0", "2.1.1"},
		// PEP 440's summary of permitted suffixes and relative ordering.
		"PyPI":      {"1.dev0", "1.0.dev456", "1.0a1", "1.0a2.dev456", "1.0a12.dev456", "1.0a12", "1.0b1.dev456", "1.0b2", "1.0b2.post345.dev456", "1.0b2.post345", "1.0rc1.dev456", "1.0rc1", "1.0", "1.0+abc.5", "1.0+abc.7", "1.0+5", "1.0.post456.dev34", "1.0.post456", "1.0.15", "1.1.dev1", "1!0.1"},
		"NuGet":     {"1.0.0-alpha", "1.0.0-Alpha.2", "1.0.0-beta", "1.0.0-rc.1", "1.0.0", "1.0.0.1", "1.0.1", "1.1", "2.0.0.0-beta", "2.0"},
		"Packagist": {"1.0.0-dev", "1.0.0-alpha1", "1.0.0-alpha2", "1.0.0-beta", "1.0.0-RC1", "1.0.0", "1.0.0-patch1", "1.0.1", "v1.1.0", "1.10.0", "2.0"},
		"CRAN":      {"0.9", "1.0", "1.0-1", "1.0-2", "1.0.10", "1.1", "1.10-0"},
		"Hackage":   {"0.1", "1.0", "1.0.0", "1.0.1", "1.2", "1.10"},
		"Pub":       {"1.0.0-dev", "1.0.0", "1.0.0+1", "1.0.0+2", "1.0.1"},
		"crates.io": {"0.1.0", "0.2.0-alpha.1", "0.2.0", "1.0.0-rc.1", "1.0.0"},
	}
	for eco, chain := range chains {
		c, err := Lookup(eco)
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; i+1 < len(chain); i++ {
			a, b := chain[i], chain[i+1]
			if got, err := Compare(c, a, b); err != nil || got != -1 {
				t.Errorf("%s: Compare(%q, %q) = %d, %v; want -1", eco, a, b, got, err)
			}
			if got, err := Compare(c, b, a); err != nil || got != 1 {
				t.Errorf("%s: Compare(%q, %q) = %d, %v; want 1", eco, b, a, got, err)
			}
		}
	}
	equal := map[string][][2]string{
		"PyPI":      {{"1.0", "1.0.0"}, {"1.0RC1", "1.0rc1"}, {"1.0-1", "1.0.post1"}, {"1.0alpha1", "1.0a1"}, {"v1.0", "1.0"}, {"1.0c1", "1.0rc1"}},
		"NuGet":     {{"1.0", "1.0.0.0"}, {"1.0.0-RC", "1.0.0-rc"}, {"1.0.0+a", "1.0.0+b"}},
		"Packagist": {{"v1.0", "1.0.0.0"}, {"1.0.0-b1", "1.0.0-beta1"}},
		"Hex":       {{"1.0.0+a", "1.0.0+b"}},
		"Maven":     {{"1.0", "1"}, {"1.0-ga", "1.0"}, {"1.0-cr1", "1.0-rc1"}},
		"RubyGems":  {{"1.0", "1"}, {"1.0.0.0", "1"}, {"1.0-a", "1.0.pre.a"}},
	}
	for eco, pairs := range equal {
		c, _ := Lookup(eco)
		for _, p := range pairs {
			if got, err := Compare(c, p[0], p[1]); err != nil || got != 0 {
				t.Errorf("%s: Compare(%q, %q) = %d, %v; want 0", eco, p[0], p[1], got, err)
			}
		}
	}
}

func TestLangInvalid(t *testing.T) {
	for eco, bad := range map[string][]string{
		"Go":        {"v1.2", "1.2", "v1.02.3", "v1.2.3-", "v1.2.3-01", "vx"},
		"npm":       {"1.2", "1.2.3.4", "01.2.3", "1.2.3-beta..1", "latest"},
		"PyPI":      {"", "1.0-foo", "french toast", "1.0+", "1..0"},
		"Maven":     {"", "1.0 beta"},
		"RubyGems":  {"1.0..0", "junk!", "1.0-"},
		"NuGet":     {"1.0.0.0.0", "a.b", "1.0-", ""},
		"Packagist": {"dev-main", "latest", ""},
		"CRAN":      {"", "1.a", "1..2x"},
		"Hackage":   {"1-2", "a"},
	} {
		c, err := Lookup(eco)
		if err != nil {
			t.Fatal(err)
		}
		for _, v := range bad {
			if _, err := c.Parse(v); err == nil {
				t.Errorf("%s: Parse(%q) accepted an invalid version", eco, v)
			}
		}
	}
	if _, err := Lookup("pypi"); err == nil {
		t.Error("ecosystem names are case-sensitive; pypi must be unknown")
	}
}

func TestLangCompareDoesNotAllocate(t *testing.T) {
	for eco, pair := range map[string][2]string{
		"Go": {"v1.2.3-beta.2", "v1.2.3-beta.11"}, "npm": {"1.0.0-alpha.1", "1.0.0-alpha.beta"},
		"PyPI": {"1!2.0rc1.post2.dev3+local.7", "1!2.0rc1.post2.dev3+local.a"}, "Maven": {"2.17.1", "2.17.1-SNAPSHOT"},
		"RubyGems": {"2.0.0.beta.1", "2.0.0.beta1"}, "NuGet": {"1.0.0-rc.1", "1.0.0-RC.2"},
		"Packagist": {"1.0.0-RC1", "1.0.0-beta2"}, "CRAN": {"1.0-1", "1.0-2"},
	} {
		c, _ := Lookup(eco)
		a, err := c.Parse(pair[0])
		if err != nil {
			t.Fatal(err)
		}
		b, err := c.Parse(pair[1])
		if err != nil {
			t.Fatal(err)
		}
		if n := testing.AllocsPerRun(100, func() { a.Compare(b) }); n != 0 {
			t.Errorf("%s: Compare allocates %.0f times", eco, n)
		}
	}
}

func FuzzLangCompare(f *testing.F) {
	for _, s := range [][3]string{{"PyPI", "1.0rc1", "1.0.post1"}, {"Maven", "1.0-alpha-1", "1.0.SP1"}, {"RubyGems", "1.0.a1", "1.0"}, {"NuGet", "1.0.0-rc.1", "1.0"}, {"Packagist", "v1.0.0-beta2", "1.0"}, {"npm", "1.0.0-a.10", "1.0.0-a.9"}} {
		f.Add(s[0], s[1], s[2])
	}
	f.Fuzz(func(t *testing.T, eco, a, b string) {
		c, err := Lookup(eco)
		if err != nil {
			return
		}
		va, errA := c.Parse(a)
		vb, errB := c.Parse(b)
		if errA != nil || errB != nil {
			return
		}
		if ab, ba := va.Compare(vb), vb.Compare(va); ab != -ba {
			t.Fatalf("%s: Compare(%q,%q)=%d but Compare(%q,%q)=%d", eco, a, b, ab, b, a, ba)
		}
		if va.Compare(va) != 0 {
			t.Fatalf("%s: %q differs from itself", eco, a)
		}
	})
}
