package version

// distroComparators returns the comparators of operating-system distributions, keyed by the OSV
// ecosystem name (release suffixes such as "Debian:12" are stripped by Lookup).
func distroComparators() map[string]Comparator {
	m := map[string]Comparator{}
	for _, n := range []string{"Debian", "Ubuntu"} {
		m[n] = dpkgComparator{name: n}
	}
	for _, n := range []string{"Alpine", "Wolfi", "Chainguard", "Alpaquita", "BellSoft Hardened Containers", "MinimOS"} {
		m[n] = apkComparator{name: n}
	}
	for _, n := range []string{"Red Hat", "AlmaLinux", "Rocky Linux", "SUSE", "openSUSE", "Mageia", "Azure Linux", "openEuler", "Photon OS", "Oracle Linux"} {
		m[n] = rpmComparator{name: n}
	}
	return m
}
