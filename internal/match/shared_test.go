package match

import (
	"os"
	"testing"
	"time"

	"github.com/siegel-oss/siegel/internal/sbom"
	"github.com/siegel-oss/siegel/internal/vulndb"
)

// TestRealOSVData imports the real OSV subset beside the project (../shared/data/osv) and checks
// findings whose records are public: an end-to-end check on real data. A fresh clone has no such
// data, so the test skips there.
func TestRealOSVData(t *testing.T) {
	if _, err := os.Stat(sharedOSV); err != nil {
		t.Skip("no ../shared/data/osv")
	}
	db, err := vulndb.Open(t.Context(), t.TempDir(), true)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	res, err := db.ImportOSVPath(t.Context(), sharedOSV, time.Now(), nil)
	if err != nil {
		t.Fatal(err)
	}
	total := 0
	for _, r := range res {
		total += r.Snapshot.Records
	}
	if total < 20000 {
		t.Fatalf("imported %d records", total)
	}
	doc := &sbom.Document{Components: []sbom.Component{
		comp("pkg:golang/github.com/gin-gonic/gin@v1.5.0", "v1.5.0"),
		comp("pkg:golang/github.com/gin-gonic/gin@v1.9.1", "v1.9.1"),
		comp("pkg:pypi/urllib3@1.24.1", "1.24.1"),
		comp("pkg:cargo/smallvec@0.6.9", "0.6.9"),
	}}
	pkgs, _ := Packages(doc)
	fs, err := Match(t.Context(), db, pkgs)
	if err != nil {
		t.Fatal(err)
	}
	has := func(pkg, record string) bool {
		for _, f := range fs {
			if f.Package.Ref == pkg {
				for _, r := range f.Records {
					if r == record {
						return true
					}
				}
			}
		}
		return false
	}
	for _, want := range [][2]string{
		{"pkg:golang/github.com/gin-gonic/gin@v1.5.0", "GO-2020-0001"}, // fixed in 1.6.0
		{"pkg:pypi/urllib3@1.24.1", "PYSEC-2019-133"},                  // CVE-2019-11236, fixed in 1.24.3
		{"pkg:cargo/smallvec@0.6.9", "RUSTSEC-2019-0009"},              // fixed in 0.6.10
	} {
		if !has(want[0], want[1]) {
			t.Errorf("%s not reported for %s", want[1], want[0])
		}
	}
	if has("pkg:golang/github.com/gin-gonic/gin@v1.9.1", "GO-2020-0001") {
		t.Error("GO-2020-0001 reported for gin 1.9.1, which has the fix")
	}
}
