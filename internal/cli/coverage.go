package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/siegel-oss/siegel/internal/match"
	"github.com/siegel-oss/siegel/internal/sbom"
	"github.com/siegel-oss/siegel/internal/vulndb"
)

// ageFlag is a maximum age: a Go duration ("36h") or a number of days ("7d").
type ageFlag time.Duration

func (a *ageFlag) String() string { return formatDays(time.Duration(*a)) }

func (a *ageFlag) Set(s string) error {
	if d, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.Atoi(d)
		if err != nil || n <= 0 {
			return fmt.Errorf("%q is not a number of days such as 7d", s)
		}
		*a = ageFlag(time.Duration(n) * 24 * time.Hour)
		return nil
	}
	v, err := time.ParseDuration(s)
	if err != nil || v <= 0 {
		return fmt.Errorf("%q is neither a number of days (7d) nor a duration (36h)", s)
	}
	*a = ageFlag(v)
	return nil
}

func formatDays(d time.Duration) string {
	if d > 0 && d%(24*time.Hour) == 0 {
		return strconv.Itoa(int(d/(24*time.Hour))) + "d"
	}
	return d.String()
}

// scanDatabase matches pkgs against the database in dir and states the coverage. Without a
// database it fails, unless optional: then nothing is matched and the result says that nothing
// was checked (never a clean result).
func scanDatabase(ctx context.Context, env *Env, dir string, pkgs, unknown []match.Package, maxAge time.Duration, optional bool) (*match.Result, *vulndb.DB, error) {
	opts := match.Options{Now: env.Now(), MaxAge: maxAge, Collect: true}
	db, err := vulndb.Open(ctx, dbDir(env, dir), false)
	if optional && errors.Is(err, vulndb.ErrNoDatabase) {
		return match.Unmatched(pkgs, unknown, opts), nil, nil
	}
	if err != nil {
		return nil, nil, err
	}
	// Reading the inventory leaves a heap mostly of dead decoding data: collected now, matching
	// reuses its memory instead of growing the heap past it (a lower peak for one collection).
	runtime.GC()
	res, err := match.Scan(ctx, db, pkgs, unknown, opts)
	if err != nil {
		db.Close()
		return nil, nil, err
	}
	return res, db, nil
}

// warnCoverage writes the coverage's warnings to stderr: an empty or stale database, a missing
// feed, components not checked are never silent.
func warnCoverage(w io.Writer, c *match.Coverage) {
	for _, m := range c.Warnings {
		fmt.Fprintf(w, "siegel: warning: %s\n", m)
	}
}

// writeCoverage writes the coverage as the table's footer: per ecosystem what was checked
// against how many advisories, what was not and why, and the date of each feed.
func writeCoverage(w io.Writer, res *match.Result) {
	c := res.Coverage
	if len(res.Findings) == 0 {
		if c.Clean() {
			fmt.Fprintf(w, "No known vulnerabilities in the %d components checked.\n", c.Checked)
		} else {
			fmt.Fprintf(w, "NOT A CLEAN RESULT: %d of %d components were not checked.\n", c.NotChecked, c.Components)
		}
	}
	fmt.Fprintf(w, "Checked %d of %d components.\n", c.Checked, c.Components)
	for _, e := range c.Ecosystems {
		fmt.Fprintf(w, "  %-12s %d of %d checked against %d advisories", e.Ecosystem, e.Checked, e.Components, e.Advisories)
		if e.Imported != nil {
			fmt.Fprintf(w, " (imported %s)", e.Imported.UTC().Format(time.DateOnly))
		}
		var not []string
		if e.NoData > 0 {
			not = append(not, fmt.Sprintf("%d: no advisories for %s in the database", e.NoData, e.Ecosystem))
		}
		if e.NoVersion > 0 {
			not = append(not, fmt.Sprintf("%d: no version", e.NoVersion))
		}
		if e.BadVersion > 0 {
			not = append(not, fmt.Sprintf("%d: version does not parse", e.BadVersion))
		}
		if len(not) > 0 {
			fmt.Fprintf(w, "; not checked %s", strings.Join(not, ", "))
		}
		fmt.Fprintln(w)
	}
	if c.UnknownEcosystem > 0 {
		fmt.Fprintf(w, "  %-12s %d not checked: no purl, or a purl type no vulnerability database covers\n", "(unknown)", c.UnknownEcosystem)
	}
	var feeds []string
	for _, f := range c.Feeds {
		s := strings.ToUpper(f.Feed) + " "
		if f.Imported == nil {
			s += "missing"
		} else {
			s += fmt.Sprintf("%s (%d records)", f.Imported.UTC().Format(time.DateOnly), f.Records)
			if f.Stale {
				s += " STALE"
			}
		}
		feeds = append(feeds, s)
	}
	fmt.Fprintf(w, "Database: %s\n", strings.Join(feeds, ", "))
}

// coverageProperties states the coverage as CycloneDX properties of the report.
func coverageProperties(c *match.Coverage) []sbom.Property {
	props := []sbom.Property{
		{Name: "siegel:coverage:components", Value: strconv.Itoa(c.Components)},
		{Name: "siegel:coverage:checked", Value: strconv.Itoa(c.Checked)},
		{Name: "siegel:coverage:not-checked", Value: strconv.Itoa(c.NotChecked)},
	}
	if c.UnknownEcosystem > 0 {
		props = append(props, sbom.Property{Name: "siegel:coverage:not-checked:unknown-ecosystem", Value: strconv.Itoa(c.UnknownEcosystem)})
	}
	for _, e := range c.Ecosystems {
		v := fmt.Sprintf("%d of %d checked against %d advisories", e.Checked, e.Components, e.Advisories)
		if n := e.Components - e.Checked; n > 0 {
			v += fmt.Sprintf("; not checked: %d no data, %d no version, %d unparseable version", e.NoData, e.NoVersion, e.BadVersion)
		}
		props = append(props, sbom.Property{Name: "siegel:coverage:ecosystem:" + e.Ecosystem, Value: v})
	}
	for _, f := range c.Feeds {
		v := "missing"
		if f.Imported != nil {
			v = f.Imported.UTC().Format(time.RFC3339)
			if f.Stale {
				v += " (stale)"
			}
		}
		props = append(props, sbom.Property{Name: "siegel:database:" + f.Feed, Value: v})
	}
	for _, w := range c.Warnings {
		props = append(props, sbom.Property{Name: "siegel:warning", Value: w})
	}
	return props
}

// policyViolations counts what --fail-on LEVEL finds in res: the components not checked for
// "unchecked", else the findings violations counts.
func policyViolations(res *match.Result, failOn string) int {
	if failOn == "unchecked" {
		return res.Coverage.NotChecked
	}
	return violations(res.Findings, failOn)
}
