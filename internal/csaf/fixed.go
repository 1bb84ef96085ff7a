package csaf

import (
	"encoding/json"
	"fmt"
	"slices"
)

// FixedVersions reads an advisory Siegel wrote and returns the product versions it lists as
// fixed (product_status fixed or first_fixed) for vulnerability id, which may be its CVE or one
// of its ids.
func FixedVersions(doc []byte, id string) ([]string, error) {
	var d struct {
		ProductTree struct {
			Branches []branch `json:"branches"`
		} `json:"product_tree"`
		Vulnerabilities []struct {
			CVE           string                  `json:"cve"`
			IDs           []struct{ Text string } `json:"ids"`
			ProductStatus map[string][]string     `json:"product_status"`
		} `json:"vulnerabilities"`
	}
	if err := json.Unmarshal(doc, &d); err != nil {
		return nil, fmt.Errorf("read advisory: %w", err)
	}
	version := map[string]string{} // product id -> version
	var walk func([]branch)
	walk = func(bs []branch) {
		for _, b := range bs {
			if b.Category == "product_version" && b.Product.ProductID != "" {
				version[b.Product.ProductID] = b.Name
			}
			walk(b.Branches)
		}
	}
	walk(d.ProductTree.Branches)
	var out []string
	for _, v := range d.Vulnerabilities {
		if v.CVE != id && !slices.ContainsFunc(v.IDs, func(x struct{ Text string }) bool { return x.Text == id }) {
			continue
		}
		for _, pid := range slices.Concat(v.ProductStatus["first_fixed"], v.ProductStatus["fixed"]) {
			if ver, ok := version[pid]; ok {
				out = append(out, ver)
			}
		}
	}
	return out, nil
}

// CVSSVector is the CVSS v3 vector an advisory Siegel wrote scores its vulnerability with, ""
// when it has none.
func CVSSVector(doc []byte) string {
	var d struct {
		Vulnerabilities []struct {
			Scores []struct {
				CVSS struct {
					VectorString string `json:"vectorString"`
				} `json:"cvss_v3"`
			} `json:"scores"`
		} `json:"vulnerabilities"`
	}
	if json.Unmarshal(doc, &d) != nil || len(d.Vulnerabilities) == 0 || len(d.Vulnerabilities[0].Scores) == 0 {
		return ""
	}
	return d.Vulnerabilities[0].Scores[0].CVSS.VectorString
}

type branch struct {
	Category string   `json:"category"`
	Name     string   `json:"name"`
	Branches []branch `json:"branches"`
	Product  struct {
		ProductID string `json:"product_id"`
	} `json:"product"`
}
