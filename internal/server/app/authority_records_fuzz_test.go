package app

import (
	"encoding/json"
	"testing"
	"time"
)

// FuzzRecordFacts: a manufacturer's revealed record is read without panic, and what is accepted
// is of the known format and names a product and its registration.
func FuzzRecordFacts(f *testing.F) {
	good, _ := json.Marshal(RecordFacts{Format: RecordFormat, Product: RecordProduct{ID: 1, Name: "Plug"}, RegisteredWith: "BSI",
		RegisteredAt: time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC), Releases: []RecordRelease{{ID: 2, Exploited: []string{ComponentPseudonym("pkg:npm/x")}}}})
	f.Add(good)
	f.Add([]byte(`{"format":"siegel-authority-record/v1","product":{"id":1,"name":"x"},"registeredWith":"BSI","registeredAt":"2026-11-22T12:00:00Z","extra":1}`))
	f.Add([]byte(`{"format":"siegel-authority-record/v1"} {}`))
	f.Add([]byte(`[`))
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := DecodeRecordFacts(data)
		if err != nil {
			return
		}
		if r.Format != RecordFormat || r.Product.ID <= 0 || r.RegisteredWith == "" {
			t.Fatalf("accepted %+v", r)
		}
	})
}
