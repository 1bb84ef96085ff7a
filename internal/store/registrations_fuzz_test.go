package store_test

import (
	"strings"
	"testing"

	"github.com/siegel-oss/siegel/internal/store"
)

// FuzzCheckMarketRecord: the fields a manufacturer sends are judged without a panic, and a
// number or contact the check lets through has the form the checklist relies on.
func FuzzCheckMarketRecord(f *testing.F) {
	for _, s := range [][2]string{{"0123", "psirt@acme.example"}, {"12", "https://acme.example/psirt"}, {"", "mailto:psirt@acme.example"}, {"abcd", "http://x"}, {"０１２３", "call us"}} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, nb, contact string) {
		err := store.CheckMarketRecord(store.MarketRecord{NotifiedBody: nb, DisclosureContact: contact})
		if err != nil {
			return
		}
		if nb != "" && (len(nb) != 4 || strings.Trim(nb, "0123456789") != "") {
			t.Errorf("notified body %q accepted", nb)
		}
		if len(contact) > 500 {
			t.Errorf("a contact of %d bytes accepted", len(contact))
		}
	})
}
