package store

import "fmt"

// Orders of a release's findings (FindingFilter.Sort).
const (
	SortFindingRisk      = "risk"       // known exploited first, then by score (the default)
	SortFindingScore     = "score"      // by severity score
	SortFindingID        = "id"         // by vulnerability id
	SortFindingPackage   = "package"    // by package URL
	SortFindingFirstSeen = "first-seen" // by when the finding was first seen
)

// FindingSorts are the orders FindingFilter.Sort takes.
var FindingSorts = []string{SortFindingRisk, SortFindingScore, SortFindingID, SortFindingPackage, SortFindingFirstSeen}

// CheckFindingSort returns an error naming the valid orders when sort is not one.
func CheckFindingSort(sort string) error {
	for _, x := range FindingSorts {
		if sort == x || sort == "" {
			return nil
		}
	}
	return fmt.Errorf("sort %q: want one of %v", sort, FindingSorts)
}

// findingOrder is the ORDER BY of a filter: its key, then ties broken by id and package so that
// pages never overlap or skip a finding.
func findingOrder(f FindingFilter) string {
	asc, desc := "ASC", "DESC"
	if f.Reverse {
		asc, desc = desc, asc
	}
	switch f.Sort {
	case SortFindingScore:
		return "score " + desc + ", vulnerability, purl"
	case SortFindingID:
		return "vulnerability " + asc + ", purl " + asc
	case SortFindingPackage:
		return "purl " + asc + ", vulnerability " + asc
	case SortFindingFirstSeen:
		return "first_seen " + desc + ", vulnerability, purl"
	}
	return "exploited " + desc + ", score " + desc + ", vulnerability, purl"
}
