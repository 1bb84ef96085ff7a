package app

import (
	"encoding/json"
	"slices"
	"strings"

	"github.com/siegel-oss/siegel/internal/csaf"
	"github.com/siegel-oss/siegel/internal/store"
)

// AdvisoryView is a published advisory as its human-readable page shows it.
type AdvisoryView struct {
	store.Advisory
	Summary   string
	Exploited string
	Updates   []string // the fixing releases' CRA Art. 13(9) availability
	CVE       string
	IDs       []string
	Score     float64
	Severity  string
	Products  []AdvisoryProduct
	JSONURL   string
}

// AdvisoryProduct is a product the advisory names, with its status and what to do.
type AdvisoryProduct struct {
	Name, Status, Detail string
}

var statusWords = map[string]string{"known_affected": "affected", "fixed": "fixed", "known_not_affected": "not affected", "under_investigation": "under investigation"}

// ViewAdvisory reads a stored CSAF advisory for its page; base is the public address its JSON
// document is linked from ("" for a relative link).
func ViewAdvisory(base string, a store.Advisory) (*AdvisoryView, error) {
	var doc struct {
		Document struct {
			Notes []struct{ Category, Title, Text string } `json:"notes"`
		} `json:"document"`
		ProductTree struct {
			Branches []struct {
				Branches []struct {
					Branches []struct {
						Product struct {
							Name      string `json:"name"`
							ProductID string `json:"product_id"`
						} `json:"product"`
					} `json:"branches"`
				} `json:"branches"`
			} `json:"branches"`
		} `json:"product_tree"`
		Vulnerabilities []struct {
			CVE           string                  `json:"cve"`
			IDs           []struct{ Text string } `json:"ids"`
			ProductStatus map[string][]string     `json:"product_status"`
			Remediations  []struct {
				Details    string
				ProductIDs []string `json:"product_ids"`
			} `json:"remediations"`
			Flags []struct {
				Label      string
				ProductIDs []string `json:"product_ids"`
			} `json:"flags"`
			Scores []struct {
				CVSS struct {
					BaseScore    float64 `json:"baseScore"`
					BaseSeverity string  `json:"baseSeverity"`
				} `json:"cvss_v3"`
			} `json:"scores"`
		} `json:"vulnerabilities"`
	}
	if err := json.Unmarshal(a.Document, &doc); err != nil {
		return nil, err
	}
	v := &AdvisoryView{Advisory: a, JSONURL: base + csaf.Distribution + "/" + csaf.Entry{TrackingID: a.TrackingID, Initial: a.Initial}.Path()}
	for _, n := range doc.Document.Notes {
		switch n.Category {
		case "summary":
			v.Summary = n.Text
		case "general":
			if n.Title == "Exploitation" {
				v.Exploited = n.Text
			} else if strings.HasPrefix(n.Title, "Availability of the security update") {
				v.Updates = append(v.Updates, n.Text)
			}
		}
	}
	names := map[string]string{}
	for _, vendor := range doc.ProductTree.Branches {
		for _, prod := range vendor.Branches {
			for _, ver := range prod.Branches {
				names[ver.Product.ProductID] = ver.Product.Name
			}
		}
	}
	if len(doc.Vulnerabilities) > 0 {
		vu := doc.Vulnerabilities[0]
		v.CVE = vu.CVE
		for _, id := range vu.IDs {
			v.IDs = append(v.IDs, id.Text)
		}
		if len(vu.Scores) > 0 {
			v.Score, v.Severity = vu.Scores[0].CVSS.BaseScore, vu.Scores[0].CVSS.BaseSeverity
		}
		for _, st := range []string{"known_affected", "fixed", "known_not_affected", "under_investigation"} {
			for _, pid := range vu.ProductStatus[st] {
				p := AdvisoryProduct{Name: names[pid], Status: statusWords[st]}
				for _, r := range vu.Remediations {
					if slices.Contains(r.ProductIDs, pid) {
						p.Detail = r.Details
					}
				}
				for _, f := range vu.Flags {
					if slices.Contains(f.ProductIDs, pid) {
						p.Detail = strings.ReplaceAll(f.Label, "_", " ")
					}
				}
				v.Products = append(v.Products, p)
			}
		}
	}
	return v, nil
}
