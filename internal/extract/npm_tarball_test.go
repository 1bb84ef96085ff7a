package extract

import (
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"

	"github.com/siegel-oss/siegel/internal/input"
	"github.com/siegel-oss/siegel/internal/sbom"
)

// TestNPMTarball checks what a package-lock says of each package's tarball, for BSI TR-03183-2
// 5.2.2: the file name (the resolved URL's, else the registry's <name>-<version>.tgz), the
// properties of a gzipped tar, and the licence the package declares (a string or the old
// {"type": ...} object).
func TestNPMTarball(t *testing.T) {
	lock := `{"lockfileVersion": 3, "packages": {
	  "": {"dependencies": {"@scope/pkg": "1.0.0", "plain": "2.0.0", "nohash": "1.0.0"}},
	  "node_modules/@scope/pkg": {"version": "1.0.0", "resolved": "https://registry.example/@scope/pkg/-/pkg-1.0.0.tgz",
	    "integrity": "sha512-uQR8BK6zWjr3I4c0YklAEzS/RTKM34cpXf7p8oygqXSCCrcjytFMdYUhI0pIOsshPjFInRYbdhEgZ9YirWaPQw==", "license": "MIT"},
	  "node_modules/plain": {"version": "2.0.0",
	    "integrity": "sha512-Q2xXnB6sPZdSS01mfMQloeUiE/GhgpCR74b3ipzudFcdlI6sY8UG/4u5T7VtpSLK9WPeQQp2ZQV4EPGPLLH8nw==", "license": {"type": "BSD-3-Clause"}},
	  "node_modules/nohash": {"version": "1.0.0", "license": "UNLICENSED"}}}`
	fsys := fstest.MapFS{"package-lock.json": {Data: []byte(lock)}}
	res, err := lockNPM{}.Extract(t.Context(), fsys, File{Path: "package-lock.json", Size: int64(len(lock))}, input.DefaultLimits())
	if err != nil {
		t.Fatal(err)
	}
	type got struct {
		Files    []string
		Licences []sbom.License
		Props    map[string]string
	}
	want := map[string]got{
		"@scope/pkg": {[]string{"pkg-1.0.0.tgz"}, []sbom.License{{Expression: "MIT", Kind: sbom.LicenseDeclared}},
			map[string]string{sbom.PropBSIExecutable: "non-executable", sbom.PropBSIArchive: "archive", sbom.PropBSIStructured: "structured"}},
		"plain": {[]string{"plain-2.0.0.tgz"}, []sbom.License{{Expression: "BSD-3-Clause", Kind: sbom.LicenseDeclared}},
			map[string]string{sbom.PropBSIExecutable: "non-executable", sbom.PropBSIArchive: "archive", sbom.PropBSIStructured: "structured"}},
		// No integrity hash: nothing is known of its tarball; UNLICENSED names no licence.
		"nohash": {nil, nil, map[string]string{}},
	}
	for _, c := range res.Components {
		g := got{Files: c.Files, Licences: c.Licenses, Props: map[string]string{}}
		for _, p := range c.Properties {
			if p.Name == sbom.PropBSIExecutable || p.Name == sbom.PropBSIArchive || p.Name == sbom.PropBSIStructured {
				g.Props[p.Name] = p.Value
			}
		}
		if diff := cmp.Diff(want[c.Name], g); diff != "" {
			t.Errorf("%s (-want +got):\n%s", c.Name, diff)
		}
	}
}
