package server

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/siegel-oss/siegel/internal/server/app"

	"github.com/siegel-oss/siegel/internal/ledger"
	"github.com/siegel-oss/siegel/internal/server/caller"
	"github.com/siegel-oss/siegel/internal/store"
)

// Records across two servers. The manufacturer's server states each registered product's record
// in its ledger (a new statement whenever the facts change), has the authority witness its log
// (PushLedger), and pushes, per product, a ledger bundle of every statement about the product
// against the checkpoint the authority just cosigned, revealing only the record and the
// registration. The authority keeps a record only when the bundle is signed by the log key it
// pinned, proves each statement's inclusion in the very checkpoint it cosigned, proves it holds
// every statement about the product (so the record is the latest), and reveals nothing else.

// RecordPushResult is what the push of one product's record achieved.
type RecordPushResult struct {
	Product   int64
	Record    int64 // the record's id on the authority's server
	Statement int64 // the log index of the statement of the record
	Size      int64 // the witnessed checkpoint it was proven against
}

// revealedToAuthority are the statement types whose content crosses to the authority.
var revealedToAuthority = []string{ledger.AuthorityRecordDeclared, ledger.ProductRegistered}

// revealTo reports whether the content of a statement about a registered product crosses to
// the authority of that name: the records, and the registrations with it (not those with other
// authorities).
func revealTo(authorityName string, e *ledger.Entry) bool {
	switch e.Statement.Type {
	case ledger.AuthorityRecordDeclared:
		return true
	case ledger.ProductRegistered:
		var reg struct {
			Authority string `json:"authority"`
		}
		return json.Unmarshal(e.Content, &reg) == nil && reg.Authority == authorityName
	}
	return false
}

// registerRemote registers a product with the authority of the given name on the server this
// server pushes its ledger to (--authority-url).
func (s *Server) registerRemote(w http.ResponseWriter, r *http.Request, prod *store.Product, name string) {
	if s.AuthorityPush.URL == "" {
		writeError(w, http.StatusBadRequest, "remoteAuthority: this server pushes to no authority's server; start it with --authority-url, --authority-token-file and --authority-witness")
		return
	}
	reg, err := s.Store.RegisterRemote(r.Context(), prod.Organization, prod.ID, s.AuthorityPush.URL, name, store.Actor(r.Context()))
	switch {
	case errors.Is(err, store.ErrInvalid):
		writeError(w, http.StatusBadRequest, err.Error())
	case errors.Is(err, store.ErrConflict):
		writeError(w, http.StatusConflict, "the product is already registered with this authority")
	case err != nil:
		s.Fail(w, r, err)
	default:
		writeJSON(w, http.StatusCreated, toRemoteRegistration(*reg))
	}
}

func toRemoteRegistration(r store.RemoteRegistration) registrationJSON {
	return registrationJSON{AuthorityName: r.AuthorityName, AuthorityURL: r.AuthorityURL, Product: r.Product, ProductName: r.ProductName,
		Manufacturer: r.Organization, RegisteredAt: r.RegisteredAt}
}

// declareRecord writes the product's record as a statement of the ledger unless the latest one
// states the same facts, and returns the record.
func (s *Server) declareRecord(ctx context.Context, reg store.RemoteRegistration) (app.RecordFacts, error) {
	prod, err := s.Store.Product(ctx, reg.Product)
	if err != nil {
		return app.RecordFacts{}, err
	}
	f, err := s.RecordOf(ctx, prod, reg.AuthorityName, reg.RegisteredAt)
	if err != nil {
		return f, err
	}
	body, err := json.Marshal(f)
	if err != nil {
		return f, err
	}
	subject := fmt.Sprintf("product/%d", prod.ID)
	b, err := s.Store.LedgerBundle(ctx, prod.Organization, subject, true)
	if err != nil {
		return f, err
	}
	for i := len(b.Entries) - 1; i >= 0; i-- {
		if e := b.Entries[i]; e.Statement.Type == ledger.AuthorityRecordDeclared {
			if bytes.Equal(e.Content, body) {
				return f, nil
			}
			break
		}
	}
	return f, s.Store.LedgerAppend(ctx, []store.LedgerItem{{Organization: prod.Organization, Type: ledger.AuthorityRecordDeclared, Subject: subject, Content: f}})
}

// PushRecords pushes the record of every product registered with an authority on the server of
// the push configuration: it states changed records in the ledger, has the authority witness
// the ledger, then sends each product's bundle against the checkpoint just cosigned. A bundle
// made after the log grew again is made anew after another witness round (three at most).
func (s *Server) PushRecords(ctx context.Context) ([]RecordPushResult, error) {
	cfg := s.AuthorityPush
	all, err := s.Store.RemoteRegistrations(ctx, 0)
	if err != nil {
		return nil, err
	}
	base := strings.TrimRight(cfg.URL, "/")
	regs := slices.DeleteFunc(all, func(r store.RemoteRegistration) bool { return r.AuthorityURL != base })
	if len(regs) == 0 {
		return nil, nil
	}
	facts := make([]app.RecordFacts, len(regs))
	for i, reg := range regs {
		if facts[i], err = s.declareRecord(ctx, reg); err != nil {
			return nil, fmt.Errorf("record of product %d: %w", reg.Product, err)
		}
	}
	client := cfg.Client
	if client == nil {
		client = &http.Client{Timeout: 30 * time.Second}
	}
	var auths struct {
		Items []struct {
			ID   int64  `json:"id"`
			Name string `json:"name"`
		} `json:"items"`
	}
	if err := pushCall(ctx, client, "GET", base+"/api/v1/authorities", cfg.Token, nil, &auths); err != nil {
		return nil, err
	}
	authorityID := func(name string) (int64, error) {
		for _, a := range auths.Items {
			if a.Name == name {
				return a.ID, nil
			}
		}
		return 0, fmt.Errorf("authority push: the server at %s has no authority named %q", base, name)
	}
	var out []RecordPushResult
	for attempt := 0; ; attempt++ {
		witnessed, err := s.PushLedger(ctx)
		if err != nil {
			return nil, err
		}
		bundles := make([]*ledger.Bundle, len(regs))
		cases := make([][]*ledger.Bundle, len(regs))
		grew := false
		for i, reg := range regs {
			// Every statement about the product, whoever wrote it: the bundle must be complete.
			b, err := s.Store.LedgerBundle(ctx, 0, fmt.Sprintf("product/%d", reg.Product), true)
			if err != nil {
				return nil, err
			}
			for j := range b.Entries {
				if !revealTo(reg.AuthorityName, &b.Entries[j]) {
					b.Entries[j].Salt, b.Entries[j].Content = nil, nil
				}
			}
			cp, err := ledger.OpenCheckpoint(b.Checkpoint, b.VerifierKey)
			if err != nil {
				return nil, err
			}
			grew = grew || cp.Size != witnessed.Size
			bundles[i] = b
			// The statements of its cases, as commitments: they show when each report was
			// logged, and may name components, so their content stays.
			for _, c := range facts[i].Cases {
				cb, err := s.Store.LedgerBundle(ctx, 0, fmt.Sprintf("case/%d", c.ID), false)
				if err != nil {
					return nil, err
				}
				if ccp, err := ledger.OpenCheckpoint(cb.Checkpoint, cb.VerifierKey); err != nil || ccp.Size != witnessed.Size {
					grew = true
				}
				cases[i] = append(cases[i], cb)
			}
		}
		if grew && attempt < 2 {
			continue
		}
		if grew {
			return nil, errors.New("authority push: the ledger grew between each witness round and the records made after it; push again")
		}
		// One product's refusal does not hold back the others' records.
		var errs []error
		for i, reg := range regs {
			id, err := authorityID(reg.AuthorityName)
			if err != nil {
				errs = append(errs, fmt.Errorf("record of product %d: %w", reg.Product, err))
				continue
			}
			body, err := json.Marshal(map[string]any{"authority": id, "bundle": bundles[i], "cases": cases[i]})
			if err != nil {
				return out, err
			}
			var res recordReceipt
			if err := pushCall(ctx, client, "POST", base+"/api/v1/authority/records", cfg.Token, body, &res); err != nil {
				errs = append(errs, fmt.Errorf("record of product %d: %w", reg.Product, err))
				continue
			}
			out = append(out, RecordPushResult{Product: reg.Product, Record: res.Record, Statement: res.Statement, Size: res.CheckpointSize})
		}
		return out, errors.Join(errs...)
	}
}

// recordReceipt is the authority's answer to a record it kept.
type recordReceipt struct {
	Record         int64     `json:"record"`
	Product        int64     `json:"product"`
	Origin         string    `json:"origin"`
	Statement      int64     `json:"statement"`
	CheckpointSize int64     `json:"checkpointSize"`
	ReceivedAt     time.Time `json:"receivedAt"`
}

// recordRefusal is a pushed record the authority does not keep, with the reason.
type recordRefusal struct {
	status int
	reason string
}

func (e *recordRefusal) Error() string { return "record refused: " + e.reason }

func refuseRecord(status int, format string, args ...any) error {
	return &recordRefusal{status: status, reason: fmt.Sprintf(format, args...)}
}

// verifyRecord checks a record org pushed for the authority with its bundle, and returns what to
// keep: see the comment at the top of this file for what is checked.
func (s *Server) verifyRecord(ctx context.Context, org int64, auth *store.Organization, raw []byte, rawCases []json.RawMessage) (store.AuthorityRecord, app.RecordFacts, error) {
	var f app.RecordFacts
	name, err := s.WitnessName()
	if err != nil {
		return store.AuthorityRecord{}, f, err
	}
	b, err := ledger.DecodeBundle(bytes.NewReader(raw))
	if err != nil {
		return store.AuthorityRecord{}, f, refuseRecord(http.StatusBadRequest, "bundle: %v", err)
	}
	state, err := s.Store.WitnessedLogOfOrganization(ctx, name, org)
	if errors.Is(err, store.ErrNotFound) {
		return store.AuthorityRecord{}, f, refuseRecord(http.StatusConflict,
			"no checkpoint of this organization's log is witnessed here: push the checkpoint first (POST /api/v1/authority/witness)")
	}
	if err != nil {
		return store.AuthorityRecord{}, f, err
	}
	if b.VerifierKey != state.LogKey {
		return store.AuthorityRecord{}, f, refuseRecord(http.StatusUnprocessableEntity,
			"the bundle is signed with the key %s, not with %s, the log key pinned at this organization's first witnessed checkpoint", b.VerifierKey, state.LogKey)
	}
	rep, err := ledger.Check(b)
	if err != nil {
		return store.AuthorityRecord{}, f, refuseRecord(http.StatusUnprocessableEntity, "the bundle does not verify: %v", err)
	}
	cp := rep.Checkpoint
	witnessed, err := ledger.OpenCheckpoint(state.Note, state.LogKey)
	if err != nil {
		return store.AuthorityRecord{}, f, fmt.Errorf("witnessed state of %s: %w", state.Origin, err)
	}
	if cp.Origin != witnessed.Origin || cp.Size != witnessed.Size || cp.Root != witnessed.Root {
		return store.AuthorityRecord{}, f, refuseRecord(http.StatusConflict,
			"the bundle is proven against a checkpoint of %s with %d entries that this witness did not cosign last (it cosigned %d entries of %s): push that checkpoint first",
			cp.Origin, cp.Size, witnessed.Size, witnessed.Origin)
	}
	product, err := strconv.ParseInt(strings.TrimPrefix(b.Subject, "product/"), 10, 64)
	if !strings.HasPrefix(b.Subject, "product/") || err != nil || product <= 0 {
		return store.AuthorityRecord{}, f, refuseRecord(http.StatusUnprocessableEntity, "the bundle is about %q, not about one product (product/ID)", b.Subject)
	}
	if !rep.Complete(b.Subject) {
		return store.AuthorityRecord{}, f, refuseRecord(http.StatusUnprocessableEntity,
			"the bundle does not prove it holds every statement about %s: without that, a later record could be hidden", b.Subject)
	}
	var decl *ledger.Entry
	registered := false
	for i := range b.Entries {
		e := &b.Entries[i]
		if e.Content != nil && !slices.Contains(revealedToAuthority, e.Statement.Type) {
			return store.AuthorityRecord{}, f, refuseRecord(http.StatusUnprocessableEntity,
				"entry %d (log index %d) reveals the content of a %s statement: only records and registrations cross to the authority", i, e.Index, e.Statement.Type)
		}
		switch e.Statement.Type {
		case ledger.AuthorityRecordDeclared:
			decl = e
		case ledger.ProductRegistered:
			var reg struct {
				Authority string `json:"authority"`
			}
			if json.Unmarshal(e.Content, &reg) == nil && reg.Authority == auth.Name {
				registered = true
			}
		}
	}
	if decl == nil || decl.Content == nil {
		return store.AuthorityRecord{}, f, refuseRecord(http.StatusUnprocessableEntity, "the bundle reveals no %s statement about %s", ledger.AuthorityRecordDeclared, b.Subject)
	}
	if !registered {
		return store.AuthorityRecord{}, f, refuseRecord(http.StatusUnprocessableEntity, "no statement of the bundle registers %s with %s", b.Subject, auth.Name)
	}
	if f, err = app.DecodeRecordFacts(decl.Content); err != nil {
		return store.AuthorityRecord{}, f, refuseRecord(http.StatusUnprocessableEntity, "log index %d: %v", decl.Index, err)
	}
	if f.Product.ID != product || f.RegisteredWith != auth.Name {
		return store.AuthorityRecord{}, f, refuseRecord(http.StatusUnprocessableEntity,
			"log index %d: the record is of product %d registered with %q, not of %s registered with %s", decl.Index, f.Product.ID, f.RegisteredWith, b.Subject, auth.Name)
	}
	if err := checkRecordCases(f, cp, state.LogKey, rawCases); err != nil {
		return store.AuthorityRecord{}, f, err
	}
	if rawCases == nil {
		rawCases = []json.RawMessage{}
	}
	cases, err := json.Marshal(rawCases)
	if err != nil {
		return store.AuthorityRecord{}, f, err
	}
	return store.AuthorityRecord{Authority: auth.ID, Organization: org, Origin: cp.Origin, Product: product, Facts: decl.Content,
		StatementIndex: decl.Index, CheckpointSize: cp.Size, Bundle: raw, CaseBundles: cases}, f, nil
}

// submissionSlack is how far the time a record states for a submitted report may lie from the
// time the ledger logged its submission: both are taken in the one transaction that records it.
const submissionSlack = time.Second

// checkRecordCases checks the bundles of a record's cases: one per case of the record, each
// signed with the pinned key, proven against the record's checkpoint cp, complete for its case
// and revealing nothing; and each report the record states as submitted has its statement of
// submission in the ledger, logged at the time stated (within submissionSlack), no more and no
// fewer. A record cannot backdate a report the ledger logged later.
func checkRecordCases(f app.RecordFacts, cp ledger.Checkpoint, logKey string, raw []json.RawMessage) error {
	if len(raw) != len(f.Cases) {
		return refuseRecord(http.StatusUnprocessableEntity, "the record states %d cases, and %d case bundles came with it: one for each case", len(f.Cases), len(raw))
	}
	byID := map[int64]*app.RecordCase{}
	for i := range f.Cases {
		byID[f.Cases[i].ID] = &f.Cases[i]
	}
	for i, data := range raw {
		b, err := ledger.DecodeBundle(bytes.NewReader(data))
		if err != nil {
			return refuseRecord(http.StatusBadRequest, "cases[%d]: %v", i, err)
		}
		if b.VerifierKey != logKey {
			return refuseRecord(http.StatusUnprocessableEntity, "cases[%d] is signed with the key %s, not with the pinned log key", i, b.VerifierKey)
		}
		rep, err := ledger.Check(b)
		if err != nil {
			return refuseRecord(http.StatusUnprocessableEntity, "cases[%d] does not verify: %v", i, err)
		}
		if rep.Checkpoint != cp {
			return refuseRecord(http.StatusUnprocessableEntity, "cases[%d] is proven against a checkpoint of %d entries, the record against one of %d", i, rep.Checkpoint.Size, cp.Size)
		}
		id, err := strconv.ParseInt(strings.TrimPrefix(b.Subject, "case/"), 10, 64)
		c := byID[id]
		if !strings.HasPrefix(b.Subject, "case/") || err != nil || c == nil {
			return refuseRecord(http.StatusUnprocessableEntity, "cases[%d] is about %q, not about a case of the record (each once)", i, b.Subject)
		}
		delete(byID, id)
		if !rep.Complete(b.Subject) {
			return refuseRecord(http.StatusUnprocessableEntity, "cases[%d] does not prove it holds every statement about %s", i, b.Subject)
		}
		var logged []time.Time
		for j, e := range b.Entries {
			if e.Content != nil {
				return refuseRecord(http.StatusUnprocessableEntity, "cases[%d] entry %d reveals its content: the statements of a case cross as commitments", i, j)
			}
			if e.Statement.Type == ledger.CaseStageSubmitted {
				logged = append(logged, e.Statement.Time)
			}
		}
		if len(logged) != len(c.Submitted) {
			return refuseRecord(http.StatusUnprocessableEntity, "case %d: the record states %d reports submitted, the ledger logged %d", id, len(c.Submitted), len(logged))
		}
		for _, stage := range slices.Sorted(maps.Keys(c.Submitted)) {
			at := c.Submitted[stage]
			j := slices.IndexFunc(logged, func(t time.Time) bool { return !t.IsZero() && t.Sub(at).Abs() <= submissionSlack })
			if j < 0 {
				return refuseRecord(http.StatusUnprocessableEntity, "case %d: the record states the %s submitted at %s; the ledger logged no submission then",
					id, stage, at.UTC().Format(time.RFC3339))
			}
			logged[j] = time.Time{}
		}
	}
	return nil
}

// recordsPush takes a manufacturer's record of a product registered with an authority on this
// server, and keeps it once verified (201), or answers why not.
func (s *Server) recordsPush(w http.ResponseWriter, r *http.Request, p caller.Principal) {
	if p.Token.Role == "authority" || !p.CanWrite(p.Token.Organization) {
		writeError(w, http.StatusForbidden, "a manufacturer's admin or PSIRT token pushes its records")
		return
	}
	var in struct {
		Authority int64             `json:"authority"`
		Bundle    json.RawMessage   `json:"bundle"`
		Cases     []json.RawMessage `json:"cases"`
	}
	if !decodeJSON(w, r, &in) {
		return
	}
	auths, err := s.Store.AuthorityOrganizations(r.Context())
	if err != nil {
		s.Fail(w, r, err)
		return
	}
	i := slices.IndexFunc(auths, func(o store.Organization) bool { return o.ID == in.Authority })
	if i < 0 {
		writeError(w, http.StatusNotFound, "authority: no authority of that id on this server (GET /api/v1/authorities lists them)")
		return
	}
	rec, _, err := s.verifyRecord(r.Context(), p.Token.Organization, &auths[i], in.Bundle, in.Cases)
	var ref *recordRefusal
	switch {
	case errors.As(err, &ref):
		writeError(w, ref.status, ref.Error())
		return
	case err != nil:
		s.writeWitnessError(w, r, err)
		return
	}
	kept, err := s.Store.PutAuthorityRecord(r.Context(), rec)
	if errors.Is(err, store.ErrConflict) {
		writeError(w, http.StatusConflict, err.Error())
		return
	}
	if err != nil {
		s.Fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, recordReceipt{Record: kept.ID, Product: kept.Product, Origin: kept.Origin, Statement: kept.StatementIndex,
		CheckpointSize: kept.CheckpointSize, ReceivedAt: kept.ReceivedAt})
}

// recordBundle answers the ledger bundle behind one of the calling authority's records, to be
// verified again offline ('siegel ledger verify').
func (s *Server) recordBundle(w http.ResponseWriter, r *http.Request, p caller.Principal) {
	if !authorityOnly(w, p) {
		return
	}
	id, ok := pathID(w, r, "id")
	if !ok {
		return
	}
	rec, err := s.Store.AuthorityRecordByID(r.Context(), id)
	if errors.Is(err, store.ErrNotFound) || (err == nil && rec.Authority != p.Token.Organization) {
		writeError(w, http.StatusNotFound, "no record of that id for this authority")
		return
	}
	if err != nil {
		s.Fail(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Write(rec.Bundle)
}

// remoteTimeliness adds, to the manufacturers and cases of this server in the authority's scope,
// the manufacturers and cases of the records pushed from other servers, each manufacturer in
// the calendar and size class its record states.
func (s *Server) remoteTimeliness(ctx context.Context, authorityOrg int64, orgs []store.Organization, cases []store.Case) ([]store.Organization, []store.Case, error) {
	recs, facts, err := s.RemoteRecords(ctx, authorityOrg)
	if err != nil {
		return nil, nil, err
	}
	for i, rec := range recs {
		f := &facts[i]
		if !slices.ContainsFunc(orgs, func(o store.Organization) bool { return o.ID == rec.Organization }) {
			acct, err := s.Store.OrganizationByID(ctx, rec.Organization)
			if err != nil {
				return nil, nil, err
			}
			m := f.Manufacturer
			orgs = append(orgs, store.Organization{ID: rec.Organization, Name: acct.Name, SizeClass: m.SizeClass, Steward: m.Steward,
				MemberState: m.MemberState, HolidayRegion: m.HolidayRegion})
		}
		for _, c := range f.Cases {
			cases = append(cases, f.StoreCase(c, rec.Organization))
		}
	}
	return orgs, cases, nil
}
