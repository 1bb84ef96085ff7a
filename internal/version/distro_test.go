package version

import (
	"bufio"
	"os"
	"strconv"
	"strings"
	"testing"
)

// TestDistroReferenceOrderings compares every pair of the reference files with the ordering the
// distribution's own tool gave (testdata/gen-distro.sh: dpkg --compare-versions, rpm.ver).
func TestDistroReferenceOrderings(t *testing.T) {
	for _, tc := range []struct{ file, ecosystem string }{
		{"testdata/dpkg.tsv", "Debian"},
		{"testdata/dpkg.tsv", "Ubuntu:22.04:LTS"},
		{"testdata/rpm.tsv", "Red Hat"},
		{"testdata/rpm.tsv", "openSUSE"},
	} {
		t.Run(tc.ecosystem, func(t *testing.T) {
			c, err := Lookup(tc.ecosystem)
			if err != nil {
				t.Fatal(err)
			}
			n := 0
			for _, row := range readTSV(t, tc.file) {
				want, _ := strconv.Atoi(row[2])
				got, err := Compare(c, row[0], row[1])
				if err != nil {
					t.Errorf("Compare(%q, %q): %v", row[0], row[1], err)
					continue
				}
				if got != want {
					t.Errorf("Compare(%q, %q) = %d, reference tool says %d", row[0], row[1], got, want)
				}
				n++
			}
			if n < 1000 {
				t.Fatalf("only %d reference pairs", n)
			}
		})
	}
}

func readTSV(t *testing.T, name string) [][]string {
	t.Helper()
	f, err := os.Open(name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var rows [][]string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if row := strings.Split(sc.Text(), "\t"); len(row) == 3 {
			rows = append(rows, row)
		}
	}
	return rows
}

// TestAlpineOrdering checks apk-tools' ordering rules, each pair in both directions.
func TestAlpineOrdering(t *testing.T) {
	c, err := Lookup("Alpine:v3.20")
	if err != nil {
		t.Fatal(err)
	}
	less := [][2]string{
		{"1.0", "1.1"},
		{"1.9", "1.10"},
		{"1.0_alpha", "1.0_beta"},
		{"1.0_beta", "1.0_pre"},
		{"1.0_pre", "1.0_rc"},
		{"1.0_rc1", "1.0"},
		{"1.0_rc9", "1.0_rc10"},
		{"1.0", "1.0_cvs"},
		{"1.0_cvs", "1.0_svn"},
		{"1.0_svn", "1.0_git"},
		{"1.0_git", "1.0_hg"},
		{"1.0_hg", "1.0_p"},
		{"1.0", "1.0_p1"},
		{"1.0_p1", "1.0_p2"},
		{"1.0", "1.0-r1"},
		{"1.0-r1", "1.0-r2"},
		{"1.0-r9", "1.0-r10"},
		{"1.0_rc1-r5", "1.0-r0"},
		{"1.0", "1.0a"},
		{"1.0a", "1.0b"},
		{"1.0z", "1.1"},
		{"1.01", "1.1"},
		{"1.001", "1.01"},
		{"1.0", "1.0.1"},
		{"1.2.3", "1.2.3.1"},
		{"3.0.13-r0", "3.0.14-r0"},
		{"1.36.1-r28", "1.36.1-r29"},
		{"2.9.14-r0", "2.10.0-r0"},
		{"1.2_git20230101", "1.2_git20240101"},
		{"1.0_alpha1_p2", "1.0_alpha2"},
		{"1.0_p", "1.0_p0"}, // a suffix without a number sorts before one with 0, as in apk-tools
	}
	for _, p := range less {
		got, err := Compare(c, p[0], p[1])
		if err != nil || got != -1 {
			t.Errorf("Compare(%q, %q) = %d, %v; want -1", p[0], p[1], got, err)
		}
		got, err = Compare(c, p[1], p[0])
		if err != nil || got != 1 {
			t.Errorf("Compare(%q, %q) = %d, %v; want 1", p[1], p[0], got, err)
		}
	}
	for _, eq := range [][2]string{{"1.0", "1.0"}, {"1.0-r0", "1.0-r0"}} {
		if got, err := Compare(c, eq[0], eq[1]); err != nil || got != 0 {
			t.Errorf("Compare(%q, %q) = %d, %v; want 0", eq[0], eq[1], got, err)
		}
	}
	for _, bad := range []string{"", "abc", "1.0_foo", "1.0-x1", "1.0-r1.2", "1.0 beta", "1.0-r1_p1"} {
		if _, err := c.Parse(bad); err == nil {
			t.Errorf("Parse(%q) accepted an invalid version", bad)
		}
	}
}

func TestDistroInvalid(t *testing.T) {
	for _, tc := range []struct{ eco, v string }{
		{"Debian", ""}, {"Debian", "1.0 1"}, {"Debian", "a:1.0"}, {"Debian", "1:"}, {"Debian", "1.0-"},
		{"Debian", "1.0_1"}, {"Debian", "1.0-1:2"}, {"Debian", ":1.0"},
		{"Red Hat", ""}, {"Red Hat", "x:1.0"}, {"Red Hat", "1.0-"}, {"Red Hat", "1:2:3"},
	} {
		c, _ := Lookup(tc.eco)
		if _, err := c.Parse(tc.v); err == nil {
			t.Errorf("%s: Parse(%q) accepted an invalid version", tc.eco, tc.v)
		}
	}
}

func TestDistroCompareDoesNotAllocate(t *testing.T) {
	for eco, pair := range map[string][2]string{
		"Debian":  {"1:2.36-9+deb12u14", "1:2.36-9+deb12u4~bpo1"},
		"Alpine":  {"1.36.1_rc1-r28", "1.36.1_p2-r29"},
		"Red Hat": {"1:3.0.7-27.el9_4.1", "1:3.0.7-27.el9^git1"},
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

func FuzzDistroCompare(f *testing.F) {
	f.Add("Debian", "1:2.0~rc1-1", "2.0-1")
	f.Add("Alpine", "1.0_rc1-r2", "1.0a_p3")
	f.Add("Red Hat", "1:1.0^git~1-2.el9", "1.0-1")
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
		ab, ba := va.Compare(vb), vb.Compare(va)
		if ab != -ba {
			t.Fatalf("%s: Compare(%q,%q)=%d but Compare(%q,%q)=%d", eco, a, b, ab, b, a, ba)
		}
		if va.Compare(va) != 0 {
			t.Fatalf("%s: %q differs from itself", eco, a)
		}
	})
}
