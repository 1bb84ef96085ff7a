package version

// languageComparators returns the comparators of language package ecosystems.
func languageComparators() map[string]Comparator {
	return map[string]Comparator{}
}
