package version

// distroComparators returns the comparators of operating-system distributions and of the
// remaining language ecosystems (Packagist, CRAN, Hackage).
func distroComparators() map[string]Comparator {
	return map[string]Comparator{}
}
