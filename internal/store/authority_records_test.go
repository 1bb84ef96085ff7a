package store_test

import (
	"errors"
	"testing"
	"time"

	"github.com/siegel-oss/siegel/internal/ledger"
	"github.com/siegel-oss/siegel/internal/store"
	"github.com/siegel-oss/siegel/internal/store/storetest"
)

// Remote registrations and authority records on both dialects: a registration is in the
// manufacturer's ledger and cannot be made twice; a record only moves forward in the log, and
// each one kept is a statement of the authority's ledger.
func TestAuthorityRecordsStore(t *testing.T) {
	clock := func() time.Time { return time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC) }
	storetest.EachDialect(t, clock, func(t *testing.T, st *store.DB) {
		ctx := t.Context()
		acme, err := st.CreateOrganization(ctx, "ACME", "small", false)
		if err != nil {
			t.Fatal(err)
		}
		bsi, err := st.CreateOrganization(ctx, "BSI", "large", true)
		if err != nil {
			t.Fatal(err)
		}
		prod, err := st.CreateProduct(ctx, acme.ID, "Plug", "", "default")
		if err != nil {
			t.Fatal(err)
		}
		reg, err := st.RegisterRemote(ctx, acme.ID, prod.ID, "https://msa.example/", "BSI", "psirt@acme")
		if err != nil || reg.AuthorityURL != "https://msa.example" || !reg.RegisteredAt.Equal(clock()) {
			t.Fatalf("register: %+v %v", reg, err)
		}
		if _, err := st.RegisterRemote(ctx, acme.ID, prod.ID, "https://msa.example", "BSI", "psirt@acme"); !errors.Is(err, store.ErrConflict) {
			t.Errorf("registered twice: %v", err)
		}
		if _, err := st.RegisterRemote(ctx, bsi.ID, prod.ID, "https://msa.example", "BSI", "x"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("another organization's product: %v", err)
		}
		regs, err := st.RemoteRegistrations(ctx, acme.ID)
		if err != nil || len(regs) != 1 || regs[0].ProductName != "Plug" || regs[0].AuthorityName != "BSI" {
			t.Errorf("registrations: %+v %v", regs, err)
		}
		b, err := st.LedgerBundle(ctx, acme.ID, "product/"+itoa(prod.ID), true)
		if err != nil || len(b.Entries) == 0 || b.Entries[len(b.Entries)-1].Statement.Type != ledger.ProductRegistered {
			t.Errorf("registration statement: %+v %v", b, err)
		}

		rec := store.AuthorityRecord{Authority: bsi.ID, Organization: acme.ID, Origin: "acme.example/log", Product: 7, Facts: []byte(`{"a":1}`),
			StatementIndex: 10, CheckpointSize: 11, Bundle: []byte(`{}`)}
		first, err := st.PutAuthorityRecord(ctx, rec)
		if err != nil {
			t.Fatal(err)
		}
		rec.StatementIndex, rec.CheckpointSize, rec.Facts = 20, 21, []byte(`{"a":2}`)
		second, err := st.PutAuthorityRecord(ctx, rec)
		if err != nil || second.ID != first.ID {
			t.Fatalf("a later record: %+v %v", second, err)
		}
		rec.StatementIndex = 15
		if _, err := st.PutAuthorityRecord(ctx, rec); !errors.Is(err, store.ErrConflict) {
			t.Errorf("an earlier record: %v", err)
		}
		recs, err := st.AuthorityRecords(ctx, bsi.ID)
		if err != nil || len(recs) != 1 || string(recs[0].Facts) != `{"a":2}` || recs[0].StatementIndex != 20 || recs[0].CheckpointSize != 21 {
			t.Errorf("records: %+v %v", recs, err)
		}
		if _, err := st.AuthorityRecordByID(ctx, first.ID+1000); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("no such record: %v", err)
		}
		kept, err := st.LedgerBundle(ctx, bsi.ID, "authority-record/"+itoa(first.ID), false)
		if err != nil || len(kept.Entries) != 2 || kept.Entries[1].Statement.Type != ledger.AuthorityRecordReceived {
			t.Errorf("the authority's statements: %+v %v", kept, err)
		}
	})
}
