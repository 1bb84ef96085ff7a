package sbom

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

func TestLocalCdxGo(t *testing.T) {
	files, _ := filepath.Glob(os.Getenv("CDXDIR") + "/*.xml")
	bad := 0
	for _, f := range files {
		data, _ := os.ReadFile(f)
		ps, err := CheckSchema(data, CycloneDXXML)
		if err != nil || len(ps) > 0 {
			bad++
			if len(ps) > 3 {
				ps = ps[:3]
			}
			fmt.Println(filepath.Base(f), err, ps)
		}
	}
	fmt.Println("files", len(files), "with problems", bad)
}
