package api

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

	"github.com/siegel-oss/siegel/internal/ledger"
	"github.com/siegel-oss/siegel/internal/server/app"
	"github.com/siegel-oss/siegel/internal/server/caller"
	"github.com/siegel-oss/siegel/internal/store"
)

// revealedToAuthority are the statement types whose content crosses to the authority.
var revealedToAuthority = []string{ledger.AuthorityRecordDeclared, ledger.ProductRegistered}

// registerRemote registers a product with the authority of the given name on the server this
// server pushes its ledger to (--authority-url).
func (s *API) registerRemote(w http.ResponseWriter, r *http.Request, prod *store.Product, name string) {
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

func toRemoteRegistration(r store.RemoteRegistration) RegistrationJSON {
	return RegistrationJSON{AuthorityName: r.AuthorityName, AuthorityURL: r.AuthorityURL, Product: r.Product, ProductName: r.ProductName,
		Manufacturer: r.Organization, RegisteredAt: r.RegisteredAt}
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
func (s *API) verifyRecord(ctx context.Context, org int64, auth *store.Organization, raw []byte, rawCases []json.RawMessage) (store.AuthorityRecord, app.RecordFacts, error) {
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
func (s *API) recordsPush(w http.ResponseWriter, r *http.Request, p caller.Principal) {
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
	writeJSON(w, http.StatusCreated, app.RecordReceipt{Record: kept.ID, Product: kept.Product, Origin: kept.Origin, Statement: kept.StatementIndex,
		CheckpointSize: kept.CheckpointSize, ReceivedAt: kept.ReceivedAt})
}

// recordBundle answers the ledger bundle behind one of the calling authority's records, to be
// verified again offline ('siegel ledger verify').
func (s *API) recordBundle(w http.ResponseWriter, r *http.Request, p caller.Principal) {
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
func (s *API) remoteTimeliness(ctx context.Context, authorityOrg int64, orgs []store.Organization, cases []store.Case) ([]store.Organization, []store.Case, error) {
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
