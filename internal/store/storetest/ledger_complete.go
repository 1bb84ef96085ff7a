package storetest

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"testing"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/siegel-oss/siegel/internal/ledger"
	"github.com/siegel-oss/siegel/internal/ledger/ledgertest"
	"github.com/siegel-oss/siegel/internal/store"
)

// checkJSON decodes a bundle as 'siegel ledger verify' does and checks it.
func checkJSON(data []byte) (ledger.Report, error) {
	b, err := ledger.DecodeBundle(bytes.NewReader(data))
	if err != nil {
		return ledger.Report{}, err
	}
	return ledger.Check(b)
}

// refuseMutations checks that the exported bundle b verifies as it is and that no bundle one
// statement shorter, with two neighbours swapped or with a key renamed does.
func refuseMutations(t *testing.T, b *ledger.Bundle) {
	t.Helper()
	data, err := json.MarshalIndent(b, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := checkJSON(data); err != nil {
		t.Fatalf("the untouched bundle: %v", err)
	}
	muts, err := ledgertest.Mutations(data)
	if err != nil {
		t.Fatal(err)
	}
	if len(muts) < 3*len(b.Entries) {
		t.Fatalf("only %d mutations of a bundle of %d entries", len(muts), len(b.Entries))
	}
	for _, m := range muts {
		if r, err := checkJSON(m.Data); err == nil {
			t.Errorf("%s: verified (%+v)", m.Name, r.Subjects)
		}
	}
}

func subjectReport(t *testing.T, r ledger.Report, subject string) ledger.SubjectReport {
	t.Helper()
	for _, s := range r.Subjects {
		if s.Subject == subject {
			return s
		}
	}
	t.Fatalf("no report on %s in %+v", subject, r.Subjects)
	return ledger.SubjectReport{}
}

// A bundle proves that it holds every statement about its subject up to its checkpoint.
func testLedgerComplete(t *testing.T, s *store.DB) {
	ctx := store.WithActor(t.Context(), "user:lead@acme.example")
	org := must(s.CreateOrganization(ctx, "ACME", "small", false))
	other := must(s.CreateOrganization(ctx, "Globex", "small", false))
	prod := must(s.CreateProduct(ctx, org.ID, "R", "router", "default"))
	rel := must(s.CreateRelease(ctx, prod.ID, "1", "2026-01-05", "2031-01"))
	rel2 := must(s.CreateRelease(ctx, prod.ID, "2", "2026-06-05", "2031-06"))
	must(s.AddSBOM(ctx, rel.ID, store.SBOMContent{Format: "cyclonedx-json", SHA256: "aa"}))
	must(s.SetVEX(ctx, store.VEX{Release: rel2.ID, Vulnerability: "CVE-2", PURL: "pkg:npm/b@1", Status: "under_investigation", Author: "lead"}))
	must(s.SetVEX(ctx, store.VEX{Release: rel.ID, Vulnerability: "CVE-1", PURL: "pkg:npm/a@1", Status: "affected", Action: "update", Author: "lead"}))
	must(0, s.LedgerAppend(ctx, []store.LedgerItem{
		{Organization: org.ID, Type: ledger.ExploitedAware, Subject: fmt.Sprintf("release/%d", rel.ID), Content: map[string]string{"cve": "CVE-1"}},
		{Organization: org.ID, Type: ledger.FixReleased, Subject: fmt.Sprintf("release/%d", rel2.ID), Content: map[string]string{"cve": "CVE-2"}},
		{Organization: org.ID, Type: ledger.AttestationSigned, Subject: fmt.Sprintf("release/%d", rel.ID), Content: "signed"},
	}))
	subject := fmt.Sprintf("release/%d", rel.ID)
	for _, reveal := range []bool{true, false} {
		b := must(s.LedgerBundle(ctx, org.ID, subject, reveal))
		r, err := ledger.Check(b)
		if err != nil {
			t.Fatalf("reveal %v: %v", reveal, err)
		}
		if got := subjectReport(t, r, subject); !got.Complete || got.Statements != 5 || got.Unchained != 0 || !r.Complete(subject) {
			t.Errorf("reveal %v: %+v, want complete with 5 statements", reveal, got)
		}
		// Each statement is chained to the one before it about the same subject.
		for i, e := range b.Entries {
			want := ""
			if i > 0 {
				h := tlog.RecordHash(b.Entries[i-1].Statement.Leaf())
				want = hex.EncodeToString(h[:])
			}
			if e.Statement.Seq != int64(i+1) || e.Statement.Prev != want {
				t.Errorf("entry %d: seq %d prev %q, want %d %q", i, e.Statement.Seq, e.Statement.Prev, i+1, want)
			}
		}
		refuseMutations(t, b)
	}
	// Every subject under a prefix is proven complete, and subject proofs out of order are refused.
	all := must(s.LedgerBundle(ctx, org.ID, "release/", false))
	r, err := ledger.Check(all)
	if err != nil || len(all.Subjects) != 2 || !r.Complete(subject) || !r.Complete(fmt.Sprintf("release/%d", rel2.ID)) {
		t.Fatalf("prefix bundle: %v %+v", err, r.Subjects)
	}
	refuseMutations(t, all)

	// Another organization's statement about the subject: ACME's bundle cannot be complete and
	// says so, without revealing it; the whole log's can.
	must(0, s.LedgerAppend(ctx, []store.LedgerItem{{Organization: other.ID, Type: ledger.VEXDecision, Subject: subject, Content: "x"}}))
	b := must(s.LedgerBundle(ctx, org.ID, subject, true))
	if r, err := ledger.Check(b); err != nil || r.Complete(subject) || len(b.Subjects) != 0 || len(b.Entries) != 5 {
		t.Errorf("a bundle without another organization's statement: %v %+v", err, r.Subjects)
	}
	if r, err := ledger.Check(must(s.LedgerBundle(ctx, 0, subject, true))); err != nil || !r.Complete(subject) || r.Statements != 6 {
		t.Errorf("the whole log's bundle: %v %+v", err, r.Subjects)
	}
	// A subject proof taken from an older bundle does not fit a newer checkpoint.
	older := must(s.LedgerBundle(ctx, org.ID, fmt.Sprintf("release/%d", rel2.ID), false))
	must(0, s.LedgerAppend(ctx, []store.LedgerItem{{Organization: org.ID, Type: ledger.VEXDecision, Subject: fmt.Sprintf("release/%d", rel2.ID), Content: "y"}}))
	newer := must(s.LedgerBundle(ctx, org.ID, fmt.Sprintf("release/%d", rel2.ID), false))
	newer.Entries, newer.Subjects = newer.Entries[:len(newer.Entries)-1], older.Subjects
	if _, err := ledger.Check(newer); err == nil {
		t.Error("a newer checkpoint with the latest statement left out and an older subject proof verified")
	}
}

// A log written before statements were chained keeps working: its checkpoints stay as they
// were signed, its bundles say they prove inclusion only, and once statements are appended
// again the subject map counts the earlier statements too.
func testLedgerLegacy(t *testing.T, s *store.DB) {
	legacy, ok := any(s).(interface {
		AppendLegacyStatement(ctx context.Context, org int64, typ, subject string, content any) error
	})
	if !ok {
		t.Skip("the store offers no legacy writer outside its own tests")
	}
	ctx := store.WithActor(t.Context(), "user:lead@acme.example")
	org := must(s.CreateOrganization(ctx, "ACME", "small", false))
	old := func(subject string) {
		must(0, legacy.AppendLegacyStatement(ctx, org.ID, ledger.VEXDecision, subject, subject))
	}
	appendNew := func(subject string) {
		must(0, s.LedgerAppend(ctx, []store.LedgerItem{{Organization: org.ID, Type: ledger.SBOMPublished, Subject: subject, Content: subject}}))
	}
	old("release/7")
	old("case/1")
	old("release/7")
	old("release/7")
	_, before, _ := must3(s.LedgerCheckpoint(ctx))
	if before.HasSubjects {
		t.Fatalf("a checkpoint of statements from before the subject map has one: %+v", before)
	}
	b := must(s.LedgerBundle(ctx, org.ID, "release/7", true))
	if r, err := ledger.Check(b); err != nil || r.Complete("release/7") || r.Statements != 3 {
		t.Fatalf("legacy bundle: %v %+v", err, r)
	}
	appendNew("release/7")
	old("release/7") // appended by a version without the subject map
	appendNew("release/7")
	appendNew("case/2")
	// The checkpoint of the earlier size is the same text as signed then: cosignatures of it stay valid.
	_, then, _ := must3(s.LedgerCheckpointAt(ctx, before.Size))
	if then.Text() != before.Text() {
		t.Errorf("checkpoint %d was\n%s\nand is now\n%s", before.Size, before.Text(), then.Text())
	}
	now, proof := must2(s.LedgerConsistency(ctx, before.Size))
	if err := ledger.CheckConsistency(before, now, proof); err != nil || !now.HasSubjects {
		t.Errorf("consistency across the subject map's start: %v (%+v)", err, now)
	}
	b = must(s.LedgerBundle(ctx, org.ID, "release/7", true))
	r, err := ledger.Check(b)
	if err != nil {
		t.Fatal(err)
	}
	if got := subjectReport(t, r, "release/7"); !got.Complete || got.Statements != 6 || got.Unchained != 4 {
		t.Errorf("release/7: %+v, want complete with 6 statements, 4 unchained", got)
	}
	if st := b.Entries[5].Statement; st.Seq != 6 || st.Prev == "" || b.Entries[3].Statement.Seq != 4 {
		t.Errorf("chained statements: %+v %+v", b.Entries[3].Statement, st)
	}
	refuseMutations(t, b)
}
