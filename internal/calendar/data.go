package calendar

import (
	"bytes"
	_ "embed"
	"errors"
	"fmt"
	"io"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"go.yaml.in/yaml/v3"
)

//go:embed holidays.yaml
var holidaysYAML []byte

// maxData bounds the holiday data read; the embedded file is a few tens of kilobytes.
const maxData = 1 << 20

type data struct {
	States map[string]*stateData `yaml:"states"`
}

type stateData struct {
	Name     string                 `yaml:"name"`
	Zone     string                 `yaml:"zone"`
	Source   string                 `yaml:"source"`
	Holidays []rule                 `yaml:"holidays"`
	Regions  map[string]*regionData `yaml:"regions"`
	loc      *time.Location
}

type regionData struct {
	Name     string `yaml:"name"`
	Zone     string `yaml:"zone"`
	Source   string `yaml:"source"`
	Holidays []rule `yaml:"holidays"`
	loc      *time.Location
}

// rule says on which day of a year a holiday falls. Exactly one of Date, Easter, Orthodox,
// Weekday (with Month and Nth, or with From) is given.
type rule struct {
	Name     string `yaml:"name"`
	Date     string `yaml:"date"`     // MM-DD, the same date every year
	Easter   *int   `yaml:"easter"`   // days after Western (Gregorian) Easter Sunday
	Orthodox *int   `yaml:"orthodox"` // days after Orthodox (Julian) Easter Sunday, as a Gregorian date
	Weekday  string `yaml:"weekday"`  // with Month and Nth, or with From
	Month    int    `yaml:"month"`
	Nth      int    `yaml:"nth"`  // 1..5, or -1 for the last in the month
	From     string `yaml:"from"` // MM-DD: the first Weekday on or after this date
	// Unless: if this date (MM-DD) falls on this weekday, the holiday is on it instead.
	Unless *struct {
		Date    string `yaml:"date"`
		Weekday string `yaml:"weekday"`
	} `yaml:"unless"`
	IfSunday   int  `yaml:"if_sunday"`  // days to move a date that falls on a Sunday
	Substitute bool `yaml:"substitute"` // on a Saturday or Sunday it gives a substitute day
	Since      int  `yaml:"since"`      // first year, if it has not always applied
	Until      int  `yaml:"until"`      // last year, if it no longer applies
	line       int

	wd          time.Weekday
	month, day  int // of Date or From
	unlessMonth int
	unlessDay   int
	unlessWd    time.Weekday
}

var ruleFields = []string{"name", "date", "easter", "orthodox", "weekday", "month", "nth", "from", "unless", "if_sunday", "substitute", "since", "until"}

func (r *rule) UnmarshalYAML(n *yaml.Node) error {
	// Node.Decode does not keep the decoder's KnownFields, so the keys are checked here.
	if n.Kind == yaml.MappingNode {
		for i := 0; i+1 < len(n.Content); i += 2 {
			if k := n.Content[i]; !slices.Contains(ruleFields, k.Value) {
				return fmt.Errorf("line %d: field %s not found in a holiday rule (one of %s)", k.Line, k.Value, strings.Join(ruleFields, ", "))
			}
		}
	}
	type plain rule
	var p plain
	if err := n.Decode(&p); err != nil {
		return err
	}
	*r = rule(p)
	r.line = n.Line
	return nil
}

var (
	loadOnce sync.Once
	loadData *data
	loadErr  error
)

func loaded() (*data, error) {
	loadOnce.Do(func() { loadData, loadErr = parse(bytes.NewReader(holidaysYAML), "holidays.yaml") })
	return loadData, loadErr
}

func (d *data) codes() []string { return sortedKeys(d.States) }

func sortedKeys[V any](m map[string]V) []string {
	return slices.Sorted(maps.Keys(m))
}

var (
	stateCode  = regexp.MustCompile(`^[A-Z]{2}$`)
	monthDay   = regexp.MustCompile(`^(\d\d)-(\d\d)$`)
	sourceForm = regexp.MustCompile(`^https://\S+`)
	weekdays   = map[string]time.Weekday{"sunday": time.Sunday, "monday": time.Monday, "tuesday": time.Tuesday,
		"wednesday": time.Wednesday, "thursday": time.Thursday, "friday": time.Friday, "saturday": time.Saturday}
)

// parse reads and checks holiday data: every State has a name, a loadable IANA zone, a source
// (an https URL and a citation) and holidays whose rules are complete and unambiguous. Errors
// name the file, the line and what is wrong.
func parse(r io.Reader, file string) (*data, error) {
	raw, err := io.ReadAll(io.LimitReader(r, maxData+1))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	if len(raw) > maxData {
		return nil, fmt.Errorf("%s: larger than %d bytes", file, maxData)
	}
	dec := yaml.NewDecoder(bytes.NewReader(raw))
	dec.KnownFields(true)
	var d data
	if err := dec.Decode(&d); err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	if len(d.States) == 0 {
		return nil, fmt.Errorf("%s: no states", file)
	}
	var errs []error
	for _, code := range d.codes() {
		st := d.States[code]
		bad := func(format string, a ...any) {
			errs = append(errs, fmt.Errorf("%s: state %s: %s", file, code, fmt.Sprintf(format, a...)))
		}
		if st == nil {
			bad("empty")
			continue
		}
		if !stateCode.MatchString(code) {
			bad("the key must be an ISO 3166-1 alpha-2 code in capitals")
		}
		if st.Name == "" {
			bad("name is required")
		}
		if st.loc, err = loadZone(st.Zone); err != nil {
			bad("%v", err)
		}
		if !sourceForm.MatchString(st.Source) {
			bad("source must start with an https URL of the official text, then its citation")
		}
		if len(st.Holidays) == 0 {
			bad("no holidays")
		}
		for i := range st.Holidays {
			if err := st.Holidays[i].check(); err != nil {
				bad("%v", err)
			}
		}
		for _, rc := range sortedKeys(st.Regions) {
			reg := st.Regions[rc]
			if reg == nil || !strings.HasPrefix(rc, code+"-") || reg.Name == "" {
				bad("region %s: the key must start with %s- and the region needs a name", rc, code)
				continue
			}
			if reg.Zone != "" {
				if reg.loc, err = loadZone(reg.Zone); err != nil {
					bad("region %s: %v", rc, err)
				}
			}
			if reg.Source != "" && !sourceForm.MatchString(reg.Source) {
				bad("region %s: source must start with an https URL", rc)
			}
			if len(reg.Holidays) == 0 && reg.Zone == "" {
				bad("region %s: neither holidays nor a zone of its own", rc)
			}
			for i := range reg.Holidays {
				if err := reg.Holidays[i].check(); err != nil {
					bad("region %s: %v", rc, err)
				}
			}
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return &d, nil
}

func loadZone(name string) (*time.Location, error) {
	if name == "" || name == "UTC" || name == "Local" {
		return nil, fmt.Errorf("zone %q: give the IANA zone, e.g. Europe/Berlin", name)
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return nil, fmt.Errorf("zone %q: %w", name, err)
	}
	return loc, nil
}

func parseMonthDay(s string) (month, day int, err error) {
	m := monthDay.FindStringSubmatch(s)
	if m == nil {
		return 0, 0, fmt.Errorf("%q: want MM-DD", s)
	}
	month, _ = strconv.Atoi(m[1]) // two digits, matched above
	day, _ = strconv.Atoi(m[2])
	// 2000 is a leap year, so 02-29 is accepted here and skipped in years without it.
	if month < 1 || month > 12 || day < 1 || day > time.Date(2000, time.Month(month)+1, 0, 0, 0, 0, 0, time.UTC).Day() {
		return 0, 0, fmt.Errorf("%q: no such date", s)
	}
	return month, day, nil
}

// check validates a rule and prepares it for evaluation.
func (r *rule) check() (err error) {
	defer func() {
		if err != nil {
			err = fmt.Errorf("line %d: holiday %q: %w", r.line, r.Name, err)
		}
	}()
	if r.Name == "" {
		return errors.New("name is required")
	}
	kinds := 0
	for _, set := range []bool{r.Date != "", r.Easter != nil, r.Orthodox != nil, r.Weekday != ""} {
		if set {
			kinds++
		}
	}
	if kinds != 1 {
		return errors.New("give exactly one of date, easter, orthodox or weekday")
	}
	if r.Since != 0 && r.Until != 0 && r.Until < r.Since {
		return errors.New("until is before since")
	}
	if r.IfSunday < -6 || r.IfSunday > 6 {
		return errors.New("if_sunday moves by at most six days")
	}
	switch {
	case r.Date != "":
		if r.month, r.day, err = parseMonthDay(r.Date); err != nil {
			return err
		}
	case r.Easter != nil || r.Orthodox != nil:
		off := r.Easter
		if off == nil {
			off = r.Orthodox
		}
		if *off < -70 || *off > 70 {
			return errors.New("an Easter offset is within 70 days")
		}
	default:
		var ok bool
		if r.wd, ok = weekdays[r.Weekday]; !ok {
			return fmt.Errorf("weekday %q: want monday ... sunday", r.Weekday)
		}
		switch {
		case r.From != "" && r.Month == 0 && r.Nth == 0:
			if r.month, r.day, err = parseMonthDay(r.From); err != nil {
				return err
			}
		case r.From == "" && r.Month >= 1 && r.Month <= 12 && (r.Nth >= 1 && r.Nth <= 5 || r.Nth == -1):
		default:
			return errors.New("a weekday rule takes either from (MM-DD) or month (1-12) with nth (1-5 or -1 for the last)")
		}
	}
	if u := r.Unless; u != nil {
		if r.unlessMonth, r.unlessDay, err = parseMonthDay(u.Date); err != nil {
			return fmt.Errorf("unless: %w", err)
		}
		var ok bool
		if r.unlessWd, ok = weekdays[u.Weekday]; !ok {
			return fmt.Errorf("unless: weekday %q: want monday ... sunday", u.Weekday)
		}
	}
	return nil
}

// on returns the day of the holiday in a year, midnight UTC, if it is kept that year.
func (r *rule) on(year int) (time.Time, bool) {
	if r.Since != 0 && year < r.Since || r.Until != 0 && year > r.Until {
		return time.Time{}, false
	}
	var d time.Time
	switch {
	case r.Date != "":
		d = time.Date(year, time.Month(r.month), r.day, 0, 0, 0, 0, time.UTC)
		if d.Day() != r.day {
			return time.Time{}, false // 02-29 in a common year
		}
	case r.Easter != nil:
		d = WesternEaster(year).AddDate(0, 0, *r.Easter)
	case r.Orthodox != nil:
		d = OrthodoxEaster(year).AddDate(0, 0, *r.Orthodox)
	case r.From != "":
		d = time.Date(year, time.Month(r.month), r.day, 0, 0, 0, 0, time.UTC)
		d = d.AddDate(0, 0, (int(r.wd)-int(d.Weekday())+7)%7)
	case r.Nth > 0:
		d = time.Date(year, time.Month(r.Month), 1, 0, 0, 0, 0, time.UTC)
		d = d.AddDate(0, 0, (int(r.wd)-int(d.Weekday())+7)%7+7*(r.Nth-1))
		if int(d.Month()) != r.Month {
			return time.Time{}, false
		}
	default: // the last one in the month
		d = time.Date(year, time.Month(r.Month)+1, 0, 0, 0, 0, 0, time.UTC)
		d = d.AddDate(0, 0, -((int(d.Weekday()) - int(r.wd) + 7) % 7))
	}
	if r.Unless != nil {
		if u := time.Date(year, time.Month(r.unlessMonth), r.unlessDay, 0, 0, 0, 0, time.UTC); u.Weekday() == r.unlessWd {
			d = u
		}
	}
	if r.IfSunday != 0 && d.Weekday() == time.Sunday {
		d = d.AddDate(0, 0, r.IfSunday)
	}
	return d, true
}

// WesternEaster is Easter Sunday in the Gregorian computus (the anonymous Gregorian
// algorithm, as given by Meeus), midnight UTC.
func WesternEaster(year int) time.Time {
	a := year % 19
	b, c := year/100, year%100
	d, e := b/4, b%4
	f := (b + 8) / 25
	g := (b - f + 1) / 3
	h := (19*a + b - d - g + 15) % 30
	i, k := c/4, c%4
	l := (32 + 2*e + 2*i - h - k) % 7
	m := (a + 11*h + 22*l) / 451
	month := (h + l - 7*m + 114) / 31
	day := (h+l-7*m+114)%31 + 1
	return time.Date(year, time.Month(month), day, 0, 0, 0, 0, time.UTC)
}

// OrthodoxEaster is Easter Sunday in the Julian computus the Orthodox churches keep, as a
// Gregorian date (Meeus's Julian algorithm plus the calendars' difference, 13 days from 1900
// to 2099), midnight UTC.
func OrthodoxEaster(year int) time.Time {
	a, b, c := year%4, year%7, year%19
	d := (19*c + 15) % 30
	e := (2*a + 4*b - d + 34) % 7
	month := (d + e + 114) / 31
	day := (d+e+114)%31 + 1
	julianToGregorian := year/100 - year/400 - 2
	return time.Date(year, time.Month(month), day+julianToGregorian, 0, 0, 0, 0, time.UTC)
}
