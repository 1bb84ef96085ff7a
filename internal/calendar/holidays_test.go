package calendar

import (
	"bufio"
	"os"
	"slices"
	"strings"
	"testing"
	"time"
)

// readTable reads testdata/holidays-2026-2030.tsv: for each State or region and year, the
// weekdays that are public holidays, as an independent source and the corrections to it.
func readTable(t *testing.T) map[string]map[string]bool {
	t.Helper()
	f, err := os.Open("testdata/holidays-2026-2030.tsv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	want := map[string]map[string]bool{}
	set := func(key string) map[string]bool {
		if want[key] == nil {
			want[key] = map[string]bool{}
		}
		return want[key]
	}
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		c := strings.Split(line, "\t")
		switch {
		case len(c) == 4 && c[0] == "+":
			set(c[1])[c[2]] = true
		case len(c) == 4 && c[0] == "-":
			if !want[c[1]][c[2]] {
				t.Fatalf("line %d: removes %s %s, which is not listed", n, c[1], c[2])
			}
			delete(want[c[1]], c[2])
		case len(c) == 3:
			m := set(c[0])
			for _, d := range strings.Fields(c[2]) {
				if !strings.HasPrefix(d, c[1]) {
					t.Fatalf("line %d: %s is not in %s", n, d, c[1])
				}
				m[d] = true
			}
		default:
			t.Fatalf("line %d: %q", n, line)
		}
	}
	return want
}

// TestHolidaysPerState compares every weekday of 2026-2030 in every Member State (and every
// region that has holidays of its own) with the table.
func TestHolidaysPerState(t *testing.T) {
	want := readTable(t)
	var keys []string
	for _, s := range States() {
		keys = append(keys, s)
		keys = append(keys, Regions(s)...)
	}
	if len(States()) != 27 {
		t.Errorf("%d Member States, want the 27: %v", len(States()), States())
	}
	for _, key := range keys {
		t.Run(key, func(t *testing.T) {
			if want[key] == nil {
				t.Fatalf("no table for %s", key)
			}
			cc, region, _ := strings.Cut(key, "-")
			c, err := ForState(cc, region)
			if err != nil {
				t.Fatal(err)
			}
			for d := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC); d.Year() <= 2030; d = d.AddDate(0, 0, 1) {
				if wd := d.Weekday(); wd == time.Saturday || wd == time.Sunday {
					if c.IsWorkingDay(d.Date()) {
						t.Errorf("%s is a working day", d.Format("Mon 2006-01-02"))
					}
					continue
				}
				day := d.Format(time.DateOnly)
				name, holiday := c.Holiday(d.Date())
				if holiday != want[key][day] {
					t.Errorf("%s: holiday %v (%q), want %v", d.Format("Mon 2006-01-02"), holiday, name, want[key][day])
				}
				if c.IsWorkingDay(d.Date()) == holiday {
					t.Errorf("%s: IsWorkingDay disagrees with Holiday", day)
				}
			}
		})
	}
}

func TestHolidayNames(t *testing.T) {
	for _, tc := range []struct {
		cc, region string
		y          int
		m          time.Month
		d          int
		want       string
	}{
		{"DE", "", 2026, 10, 3, "Day of German Unity"},
		{"DE", "SN", 2026, 11, 18, "Day of Repentance and Prayer"}, // Wednesday before 23 Nov
		{"DE", "BY", 2027, 5, 27, "Corpus Christi"},
		{"EL", "", 2027, 3, 15, "Clean Monday"},
		{"SE", "", 2026, 6, 20, "Midsummer Day"},
		{"SE", "", 2027, 11, 6, "All Saints' Day"},
		{"IE", "", 2030, 2, 1, "St Brigid's Day"}, // 1 Feb 2030 is a Friday
		{"IE", "", 2027, 10, 25, "October Holiday"},
		{"BG", "", 2026, 12, 28, "Second Day of Christmas (substitute day)"},
		{"NL", "", 2031, 4, 26, "King's Day"}, // 27 Apr 2031 is a Sunday
		{"FR", "57", 2026, 4, 3, "Good Friday"},
	} {
		c, err := ForState(tc.cc, tc.region)
		if err != nil {
			t.Fatal(err)
		}
		if got, ok := c.Holiday(tc.y, tc.m, tc.d); !ok || got != tc.want {
			t.Errorf("%s %s %d-%02d-%02d: %q %v, want %q", tc.cc, tc.region, tc.y, tc.m, tc.d, got, ok, tc.want)
		}
	}
	de, _ := ForState("DE")
	if _, ok := de.Holiday(2026, 11, 1); ok {
		t.Error("All Saints' Day is not a holiday in all of Germany")
	}
	if _, ok := UTC().Holiday(2026, 12, 25); ok || UTC().IsWorkingDay(2026, 12, 26) {
		t.Error("UTC has no holidays but keeps Saturdays and Sundays")
	}
}

func TestForState(t *testing.T) {
	c, err := ForState("el")
	if err != nil || c.State() != "GR" || c.Location().String() != "Europe/Athens" {
		t.Fatalf("EL: %v %v", c, err)
	}
	c, err = ForState("de", "de-by", "BY")
	if err != nil || !slices.Equal(c.Regions(), []string{"DE-BY"}) {
		t.Fatalf("DE-BY: %v %v", c.Regions(), err)
	}
	if got := c.Describe(); !strings.HasPrefix(got, "DE-BY (Europe/Berlin), public holidays of Germany and Bavaria, source: https://") {
		t.Errorf("Describe: %s", got)
	}
	if c, _ := ForState("ES", "CN"); c.Location().String() != "Atlantic/Canary" {
		t.Errorf("ES-CN counts in %s", c.Location())
	}
	if _, err := ForState("UK"); err == nil || !strings.Contains(err.Error(), "AT, BE, BG") {
		t.Errorf("UK: %v", err)
	}
	if _, err := ForState("DE", "XX"); err == nil || !strings.Contains(err.Error(), "DE-BW") {
		t.Errorf("DE-XX: %v", err)
	}
	if _, err := ForState("MT", "1"); err == nil || !strings.Contains(err.Error(), "national") {
		t.Errorf("MT-1: %v", err)
	}
	if UTC().State() != "" || UTC().Location() != time.UTC || !strings.HasPrefix(UTC().Describe(), "UTC, no public holidays") {
		t.Error("UTC calendar")
	}
}

func TestParseErrors(t *testing.T) {
	for _, tc := range []struct{ doc, want string }{
		{"states:\n  XX:\n    name: X\n    zone: Europe/Nowhere\n    source: https://x.example\n    holidays:\n      - {name: A, date: \"01-01\"}\n", `zone "Europe/Nowhere"`},
		{"states:\n  DE:\n    name: X\n    zone: Europe/Berlin\n    source: https://x.example\n    holidays:\n      - {name: A, date: \"02-30\"}\n", `line 7: holiday "A": "02-30": no such date`},
		{"states:\n  DE:\n    name: X\n    zone: Europe/Berlin\n    source: https://x.example\n    holidays:\n      - {name: A, date: \"01-01\", easter: 1}\n", "exactly one of"},
		{"states:\n  DE:\n    name: X\n    zone: Europe/Berlin\n    source: https://x.example\n    holidays:\n      - {name: A, dtae: \"01-01\"}\n", "field dtae not found"},
		{"states:\n  DE:\n    name: X\n    zone: Europe/Berlin\n    source: somewhere\n    holidays:\n      - {name: A, date: \"01-01\"}\n", "source must start with an https URL"},
		{"states:\n  DE:\n    name: X\n    zone: Europe/Berlin\n    source: https://x.example\n    holidays:\n      - {name: A, weekday: funday, month: 1, nth: 1}\n", `weekday "funday"`},
		{"states:\n  DE:\n    name: X\n    zone: Europe/Berlin\n    source: https://x.example\n    holidays:\n      - {name: A, weekday: monday, month: 1}\n", "either from"},
		{"states: {}\n", "no states"},
		{strings.Repeat("#", maxData+1), "larger than"},
	} {
		_, err := parse(strings.NewReader(tc.doc), "h.yaml")
		if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.HasPrefix(err.Error(), "h.yaml") {
			t.Errorf("%q: %v, want an error with %q", tc.doc, err, tc.want)
		}
	}
}

func FuzzParse(f *testing.F) {
	f.Add(holidaysYAML)
	f.Add([]byte("states:\n  DE:\n    name: X\n    zone: Europe/Berlin\n    source: https://x.example\n    holidays:\n      - {name: A, weekday: monday, month: 2, nth: -1, unless: {date: \"02-01\", weekday: friday}}\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		d, err := parse(strings.NewReader(string(b)), "fuzz.yaml")
		if err != nil {
			return
		}
		for _, st := range d.States {
			for i := range st.Holidays {
				for y := 1900; y < 2100; y += 37 {
					st.Holidays[i].on(y)
				}
			}
		}
	})
}
