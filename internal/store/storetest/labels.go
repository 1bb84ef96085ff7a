package storetest

import (
	"context"
	"fmt"
	"testing"

	"github.com/siegel-oss/siegel/internal/store"
)

func testLabels(t *testing.T, s *store.DB) {
	ctx := context.Background()
	org := must(s.CreateOrganization(ctx, "Router Maker", "medium", false))
	p := must(s.CreateProduct(ctx, org.ID, "HomeRouter 3000", "router", "important-i"))
	r := must(s.CreateRelease(ctx, p.ID, "1.0.0", "2026-01-15", "2031-12"))

	// A category change is kept in the audit trail and the ledger; the same category again records nothing.
	must(0, s.SetProductCategory(ctx, p.ID, "smart-plug"))
	must(0, s.SetProductCategory(ctx, p.ID, "smart-plug"))
	if got := must(s.Product(ctx, p.ID)); got.Category != "smart-plug" || got.CategoryUnmapped != "" {
		t.Fatalf("category %+v", got)
	}
	changes := 0
	for _, e := range must(s.AuditEvents(ctx, org.ID, 100)) {
		if e.Action == "product.category" {
			changes++
			if e.Detail != "router -> smart-plug" {
				t.Errorf("audit detail %q", e.Detail)
			}
		}
	}
	if b := must(s.LedgerBundle(ctx, org.ID, fmt.Sprintf("product/%d", p.ID), false)); changes != 1 || len(b.Entries) != 1 || b.Entries[0].Statement.Type != "product-category-declared" {
		t.Fatalf("%d audit entries, ledger %+v", changes, b.Entries)
	}
	if err := s.SetProductCategory(ctx, p.ID, ""); err == nil {
		t.Error("empty category accepted")
	}
	must(0, s.SetProductCategory(ctx, p.ID, "router"))

	fa := &store.FirmwareAnalysis{Release: r.ID, ImageName: "router.bin", SHA256: "ab", Size: 3, Report: []byte(`{"weaknesses":[]}`)}
	must(0, s.AddFirmwareAnalysis(ctx, fa))
	got := must(s.LatestFirmwareAnalysis(ctx, r.ID))
	if got.ID != fa.ID || string(got.Report) != `{"weaknesses":[]}` {
		t.Fatalf("firmware analysis %+v", got)
	}
	must(0, s.AddAttestation(ctx, &store.Attestation{Release: r.ID, Requirement: "etsi-en-303-645/5.2-1", DocumentName: "vdp.pdf", SHA256: "cd", SignedBy: "Ada", Role: "psirt"}))
	if as := must(s.Attestations(ctx, r.ID)); len(as) != 1 || as[0].SignedBy != "Ada" {
		t.Fatalf("attestations %+v", as)
	}

	signs := 0
	sign := func(l *store.Label) ([]byte, error) {
		signs++
		return fmt.Appendf(nil, "%s/%d/%s/%s", l.ID, l.Seq, l.Status, l.Reason), nil
	}
	l := &store.Label{ID: "L-1", Organization: org.ID, Release: r.ID, Catalogs: []string{"etsi-en-303-645", "bsi-tr-03148"}, Reason: "all mandatory requirements met"}
	must(0, s.IssueLabel(ctx, l, "user:ada", sign))
	if string(l.Statement) != "L-1/1/valid/all mandatory requirements met" {
		t.Fatalf("statement %q", l.Statement)
	}
	// The same status and reason again changes nothing and signs nothing.
	if changed := must(s.SetLabelStatus(ctx, "L-1", store.LabelValid, "all mandatory requirements met", "monitor", false, sign)); changed || signs != 1 {
		t.Fatalf("no-op change: changed=%v signs=%d", changed, signs)
	}
	if !must(s.SetLabelStatus(ctx, "L-1", store.LabelSuspended, "CVE-2024-1 exploited, unfixed for 31 days", "monitor", false, sign)) {
		t.Fatal("suspension not applied")
	}
	must(s.SetLabelStatus(ctx, "L-1", store.LabelRevoked, "market surveillance decision 42", "authority:bsi", false, sign))
	// Automatic evaluation cannot lift a revocation; an authority's reinstatement can.
	if must(s.SetLabelStatus(ctx, "L-1", store.LabelValid, "evidence holds", "monitor", false, sign)) {
		t.Fatal("revoked label reinstated automatically")
	}
	must(s.SetLabelStatus(ctx, "L-1", store.LabelValid, "reinstated after appeal", "authority:bsi", true, sign))
	cur := must(s.LabelByID(ctx, "L-1"))
	if cur.Status != store.LabelValid || cur.Seq != 4 || string(cur.Statement) != "L-1/4/valid/reinstated after appeal" || len(cur.Catalogs) != 2 {
		t.Fatalf("label %+v", cur)
	}
	evs := must(s.LabelEvents(ctx, "L-1"))
	var seq []string
	for _, e := range evs {
		seq = append(seq, fmt.Sprintf("%d:%s:%s", e.Seq, e.Status, e.Actor))
	}
	if fmt.Sprint(seq) != "[1:valid:user:ada 2:suspended:monitor 3:revoked:authority:bsi 4:valid:authority:bsi]" {
		t.Fatalf("history %v", seq)
	}
	// Every change is in the ledger under the label's subject.
	b := must(s.LedgerBundle(ctx, org.ID, "label/L-1", false))
	var types []string
	for _, e := range b.Entries {
		types = append(types, e.Statement.Type)
	}
	if fmt.Sprint(types) != "[label-issued label-suspended label-revoked label-reinstated]" {
		t.Fatalf("ledger %v", types)
	}
	if ls := must(s.Labels(ctx, org.ID)); len(ls) != 1 {
		t.Fatalf("labels %+v", ls)
	}
	if _, err := s.LabelByID(ctx, "nope"); err == nil {
		t.Fatal("missing label found")
	}
}
