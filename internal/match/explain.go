package match

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/siegel-oss/siegel/internal/version"
	"github.com/siegel-oss/siegel/internal/vulndb"
)

// Explain writes why finding f matched: for each merged record, the affected entries that name
// the package, their ranges and events in evaluation order, and how the version compares to each.
func Explain(ctx context.Context, w io.Writer, src Source, f *Finding) error {
	p := f.Package
	fmt.Fprintf(w, "%s in %s %s (%s)\n", f.ID, p.Name, p.Version, p.PURL)
	fmt.Fprintf(w, "  looked up as ecosystem %q, name %q\n", p.Ecosystem, p.Lookup)
	if len(f.Aliases) > 0 {
		fmt.Fprintf(w, "  aliases: %s\n", strings.Join(f.Aliases, ", "))
	}
	if kev := f.KEV(); kev != nil {
		fmt.Fprintf(w, "  CISA KEV: added %s, due %s, ransomware use %s\n", kev.DateAdded, kev.DueDate, kev.Ransomware)
	}
	for _, e := range f.EUVDEntries() {
		fmt.Fprintf(w, "  ENISA EUVD: %s, exploited %v %s\n", e.ID, e.Exploited, e.ExploitedSince)
	}
	key := vulndb.PackageKey(p.Ecosystem, p.Lookup)
	recs, err := src.Lookup(ctx, key)
	if err != nil {
		return err
	}
	c, cerr := version.Lookup(p.Ecosystem)
	for _, r := range recs {
		if !slices.Contains(f.Records, r.ID) {
			continue
		}
		fmt.Fprintf(w, "  record %s (modified %s)\n", r.ID, r.Modified.Format("2006-01-02"))
		for i, a := range r.Affected {
			if vulndb.PackageKey(a.Package.Ecosystem, a.Package.Name) != key {
				continue
			}
			if !sameRelease(a.Package.Ecosystem, p.Ecosystem) {
				fmt.Fprintf(w, "    affected[%d] %s/%s: other release, not applied\n", i, a.Package.Ecosystem, a.Package.Name)
				continue
			}
			aff := version.Affected{Ecosystem: a.Package.Ecosystem, Ranges: a.Ranges, Versions: a.Versions}
			hit, aerr := aff.Affects(version.Target{Version: p.Version, Commit: p.Commit})
			fmt.Fprintf(w, "    affected[%d] %s/%s: affected=%v\n", i, a.Package.Ecosystem, a.Package.Name, hit)
			if aerr != nil {
				fmt.Fprintf(w, "      note: %v\n", aerr)
			}
			if len(a.Versions) > 0 {
				fmt.Fprintf(w, "      versions listed: %d, %s among them: %v\n", len(a.Versions), p.Version, slices.Contains(a.Versions, p.Version))
			}
			for j, rg := range a.Ranges {
				fmt.Fprintf(w, "      range %d (%s):", j, rg.Type)
				for _, e := range rg.Events {
					kind, v := eventKind(e)
					fmt.Fprintf(w, " %s %s", kind, v)
					if rg.Type == version.RangeGit || v == "0" || v == "*" || cerr != nil {
						continue
					}
					ev := v
					target := p.Version
					if rg.Type == version.RangeSemVer {
						ev, target = strings.TrimPrefix(ev, "v"), strings.TrimPrefix(target, "v")
						if sc, err := version.Lookup("SemVer"); err == nil {
							if r, err := version.Compare(sc, target, ev); err == nil {
								fmt.Fprintf(w, " [%s %s]", target, relation(r))
							}
						}
						continue
					}
					if r, err := version.Compare(c, target, ev); err == nil {
						fmt.Fprintf(w, " [%s %s]", target, relation(r))
					}
				}
				fmt.Fprintln(w)
			}
		}
	}
	return nil
}

func eventKind(e version.Event) (string, string) {
	switch {
	case e.Introduced != "":
		return "introduced", e.Introduced
	case e.Fixed != "":
		return "fixed", e.Fixed
	case e.LastAffected != "":
		return "last_affected", e.LastAffected
	}
	return "limit", e.Limit
}

func relation(r int) string {
	switch r {
	case -1:
		return "<"
	case 1:
		return ">"
	}
	return "="
}
