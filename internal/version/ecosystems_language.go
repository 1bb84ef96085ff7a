package version

// languageComparators returns the comparators of language package ecosystems, keyed by the OSV
// ecosystem name.
func languageComparators() map[string]Comparator {
	m := map[string]Comparator{
		"Go":        semVerRules{name: "Go", goV: true},
		"npm":       semVerRules{name: "npm", allowV: true},
		"crates.io": semVerRules{name: "crates.io"},
		"Hex":       semVerRules{name: "Hex"},
		"Pub":       semVerRules{name: "Pub", buildOrder: true},
		"SwiftURL":  semVerRules{name: "SwiftURL", allowV: true},
		"SemVer":    semVerRules{name: "SemVer"},
		"PyPI":      pep440Rules{},
		"Maven":     mavenRules{},
		"RubyGems":  gemRules{},
		"NuGet":     nugetRules{},
		"Packagist": composerRules{},
		"CRAN":      numericListRules{name: "CRAN", seps: ".-"},
		"Hackage":   numericListRules{name: "Hackage", seps: "."},
	}
	// Ecosystems whose OSV records use SemVer ordering.
	for _, n := range []string{"Bitnami", "GitHub Actions", "Julia", "Swift"} {
		m[n] = semVerRules{name: n, allowV: true}
	}
	return m
}
