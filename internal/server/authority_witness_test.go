package server

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/siegel-oss/siegel/internal/ledger"
	"github.com/siegel-oss/siegel/internal/server/app"
	"github.com/siegel-oss/siegel/internal/store"
)

func appendStatements(t *testing.T, st *store.DB, org int64, subject string, n int) {
	t.Helper()
	var items []store.LedgerItem
	for i := range n {
		items = append(items, store.LedgerItem{Organization: org, Type: ledger.AttestationSigned, Subject: subject, Content: map[string]int{"n": i}})
	}
	if err := st.LedgerAppend(t.Context(), items); err != nil {
		t.Fatal(err)
	}
}

func witnessKeys(t *testing.T, name string) (skey, vkey string) {
	t.Helper()
	skey, vkey, err := ledger.NewWitnessKey(name)
	if err != nil {
		t.Fatal(err)
	}
	return skey, vkey
}

// On one server the authority witnesses the log its manufacturers share: it cosigns a
// checkpoint only when it extends the last it cosigned, and the cosignature is served with the
// checkpoint; the manufacturer's scoped view shows the witnessed size.
func TestAuthorityWitnessesLocalLedger(t *testing.T) {
	skey, vkey := witnessKeys(t, "bsi.example")
	e := newEnv(t, func(c *Config) { c.WitnessKey = skey; c.Witnesses = []string{vkey} })
	if code := e.do("POST", "/api/v1/authority/witness/local", "acme-admin", "", nil, nil); code != 403 {
		t.Errorf("a manufacturer witnesses: %d", code)
	}
	prod, _ := e.productWithRelease("acme-admin", "HomeRouter", "router", "default", 1)
	var out struct {
		Size        int64  `json:"size"`
		Cosignature string `json:"cosignature"`
	}
	if code := e.do("POST", "/api/v1/authority/witness/local", "bsi", "", nil, &out); code != 200 || out.Size == 0 {
		t.Fatalf("first round: %d %+v", code, out)
	}
	appendStatements(t, e.st, e.orgID("ACME"), "release/1", 5)
	_, before, _, err := e.st.LedgerCheckpoint(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if code := e.do("POST", "/api/v1/authority/witness/local", "bsi", "", nil, &out); code != 200 || out.Size != before.Size {
		t.Fatalf("second round: %d %+v, want size %d", code, out, before.Size)
	}
	// Each cosignature is a statement of the server's own ledger.
	wb, err := e.st.LedgerBundle(t.Context(), 0, "witnessed-log/"+before.Origin, false)
	if err != nil || len(wb.Entries) != 2 || wb.Entries[1].Statement.Type != ledger.LogWitnessed {
		t.Errorf("witness statements: %+v %v", wb, err)
	}
	code, body := e.raw("GET", "/ledger/checkpoint?cosigned=1", "", "", nil) // the latest checkpoint a witness cosigned
	w, _ := ledger.ParseWitness(vkey)
	if code != 200 {
		t.Fatalf("checkpoint %d", code)
	}
	_, _, lkey, err := e.st.LedgerCheckpoint(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	cp, err := ledger.OpenCheckpoint(string(body), lkey)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ledger.VerifyCosignatures(string(body), cp, []ledger.Witness{w}); err != nil || cp.Size != before.Size {
		t.Errorf("the served checkpoint of %d entries carries no valid cosignature of the authority: %v", cp.Size, err)
	}
	if code := e.do("POST", "/api/v1/products/"+itoa(prod)+"/registrations", "acme-admin", "application/json", jsonBody(map[string]int64{"authority": e.orgID("BSI")}), nil); code != 201 {
		t.Fatal(code)
	}
	var v app.ViewProductJSON
	e.do("GET", "/api/v1/authority/products/"+itoa(prod), "bsi", "", nil, &v)
	if v.Ledger.Witnessed == nil || v.Ledger.Witnessed.Size != before.Size || v.Ledger.Witnessed.Witness != "bsi.example" {
		t.Errorf("witness state in the view: %+v", v.Ledger.Witnessed)
	}
	// Without a witness key the server says how to get one.
	e2 := newEnv(t)
	var apiErr apiError
	if code := e2.do("POST", "/api/v1/authority/witness/local", "bsi", "", nil, &apiErr); code != 503 || !strings.Contains(apiErr.Error, "--witness-key") {
		t.Errorf("no witness key: %d %+v", code, apiErr)
	}
}

// snapshot copies a closed SQLite store's directory: the backup an operator could restore.
func snapshot(t *testing.T, from, to string) {
	t.Helper()
	entries, err := os.ReadDir(from)
	if err != nil {
		t.Fatal(err)
	}
	for _, de := range entries {
		if de.IsDir() {
			continue
		}
		data, err := os.ReadFile(filepath.Join(from, de.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(to, de.Name()), data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
}

// Two servers: the manufacturer's own server pushes its signed checkpoints to the authority's,
// which cosigns each after checking it extends the last; the manufacturer keeps and serves the
// cosignature. A manufacturer that restores an old backup and writes another history after it,
// or serves a shorter log, is refused, with the reason, and the authority keeps it.
func TestLedgerPushToAuthorityServer(t *testing.T) {
	skey, vkey := witnessKeys(t, "bsi.example")
	auth := newEnv(t, func(c *Config) { c.WitnessKey = skey })
	clock := func() time.Time { return time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC) }
	ctx := t.Context()
	dir, backup := t.TempDir(), t.TempDir()
	st, err := store.OpenSQLite(ctx, dir, clock)
	if err != nil {
		t.Fatal(err)
	}
	org, err := st.CreateOrganization(ctx, "ACME", "small", false)
	if err != nil {
		t.Fatal(err)
	}
	appendStatements(t, st, org.ID, "release/1", 3)
	if _, _, _, err := st.LedgerCheckpoint(ctx); err != nil { // makes the log's key
		t.Fatal(err)
	}
	st.Close()
	snapshot(t, dir, backup) // the log of 3 entries, and its key

	push := AuthorityPush{URL: auth.srv.URL, Token: auth.tokens["acme-admin"], Witness: vkey, Client: auth.srv.Client()}
	manufacturer := func(dir string) (*store.DB, *Server) {
		st, err := store.OpenSQLite(ctx, dir, clock)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		return st, New(Config{Store: st, Now: clock, AuthorityPush: push, Witnesses: []string{vkey}})
	}
	st, srv := manufacturer(dir)
	res, err := srv.PushLedger(ctx)
	if err != nil || res.Size != 3 || res.From != 0 {
		t.Fatalf("first push: %+v %v", res, err)
	}
	appendStatements(t, st, org.ID, "release/1", 4)
	if res, err = srv.PushLedger(ctx); err != nil || res.Size != 7 || res.From != 3 {
		t.Fatalf("second push: %+v %v", res, err)
	}
	// The manufacturer's server serves the checkpoint with the authority's cosignature.
	hs := httptest.NewServer(srv.Handler())
	defer hs.Close()
	resp, err := hs.Client().Get(hs.URL + "/ledger/checkpoint")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	_, cp, _, err := st.LedgerCheckpoint(ctx)
	if err != nil {
		t.Fatal(err)
	}
	w, _ := ledger.ParseWitness(vkey)
	if _, err := ledger.VerifyCosignatures(string(body), cp, []ledger.Witness{w}); err != nil || cp.Size != 7 {
		t.Errorf("served checkpoint of %d entries: %v", cp.Size, err)
	}

	// The backup of 3 entries, restored: shorter than what the authority cosigned.
	_, rewritten := manufacturer(backup)
	if _, err := rewritten.PushLedger(ctx); !errors.Is(err, ErrPushRefused) || !strings.Contains(err.Error(), "fewer than the 7") {
		t.Errorf("a cut log: %v", err)
	}
	// ... and extended with another history past 7 entries: not an extension of the 7 shown.
	st2, _ := store.OpenSQLite(ctx, backup, clock)
	appendStatements(t, st2, org.ID, "release/1", 6)
	st2.Close()
	if _, err := rewritten.PushLedger(ctx); !errors.Is(err, ErrPushRefused) || !strings.Contains(err.Error(), "does not extend the one of 7 entries") {
		t.Errorf("a rewritten log: %v", err)
	}
	var logs struct {
		Items []struct {
			Organization int64  `json:"organization"`
			Size         int64  `json:"size"`
			Refusal      string `json:"refusal"`
		} `json:"items"`
	}
	if code := auth.do("GET", "/api/v1/authority/witness/logs", "bsi", "", nil, &logs); code != 200 || len(logs.Items) != 1 {
		t.Fatalf("witnessed logs: %d %+v", code, logs)
	}
	if l := logs.Items[0]; l.Size != 7 || !strings.Contains(l.Refusal, "not consistent") || l.Organization != auth.orgID("ACME") {
		t.Errorf("the authority's evidence: %+v", l)
	}
	// ... kept in the authority's own ledger as well.
	rb, err := auth.st.LedgerBundle(ctx, 0, "witnessed-log/"+res.Origin, true)
	if err != nil {
		t.Fatal(err)
	}
	var refusals int
	for _, en := range rb.Entries {
		if en.Statement.Type == ledger.LogWitnessRefused && strings.Contains(string(en.Content), "does not extend") {
			refusals++
		}
	}
	if refusals != 1 {
		t.Errorf("refusals in the authority's ledger: %d of %d statements", refusals, len(rb.Entries))
	}
	// A new log in place of the witnessed one is refused too.
	other := t.TempDir()
	st3, srv3 := manufacturer(other)
	appendStatements(t, st3, 0, "release/1", 9)
	if _, err := srv3.PushLedger(ctx); !errors.Is(err, ErrPushRefused) || !strings.Contains(err.Error(), "would hide the history") {
		t.Errorf("a new log: %v", err)
	}
	// A wrong witness key on the manufacturer's side: the cosignature is not kept.
	_, wrongKey := witnessKeys(t, "bsi.example")
	_, srv4 := manufacturer(dir)
	srv4.AuthorityPush.Witness = wrongKey
	if _, err := srv4.PushLedger(ctx); err == nil || !strings.Contains(err.Error(), "does not verify") {
		t.Errorf("a cosignature under another key: %v", err)
	}
	// Only a manufacturer's admin or PSIRT token pushes.
	if code := auth.do("POST", "/api/v1/authority/witness", "acme-ro", "application/json", []byte(`{}`), nil); code != http.StatusForbidden {
		t.Errorf("read-only push: %d", code)
	}
}
