package cli

import (
	"database/sql"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/siegel-oss/siegel/internal/ledger"
	"github.com/siegel-oss/siegel/internal/server"
	"github.com/siegel-oss/siegel/internal/store"
)

// TestLedgerWitness: a witness cosigns the log's checkpoints while the history only grows, the
// server serves them with the cosignature, and a rewritten history is refused.
func TestLedgerWitness(t *testing.T) {
	ctx := t.Context()
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	st, err := store.OpenSQLite(ctx, data, time.Now)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	appendN := func(n int, subject string) {
		items := make([]store.LedgerItem, n)
		for i := range items {
			items[i] = store.LedgerItem{Organization: 1, Type: ledger.SBOMPublished, Subject: subject, Content: i}
		}
		if err := st.LedgerAppend(ctx, items); err != nil {
			t.Fatal(err)
		}
	}
	appendN(5, "release/1")
	_, _, logKey, err := st.LedgerCheckpoint(ctx)
	if err != nil {
		t.Fatal(err)
	}

	keyFile, state := filepath.Join(dir, "witness.key"), filepath.Join(dir, "witness.state")
	code, vkey, stderr := invokeCLI(t, "", "ledger", "witness-key", "--name", "witness.example", "--out", keyFile)
	if code != ExitOK {
		t.Fatalf("witness-key: %d %s", code, stderr)
	}
	vkey = strings.TrimSpace(vkey)
	srv := httptest.NewServer(server.New(server.Config{Store: st, Witnesses: []string{vkey}}).Handler())
	defer srv.Close()
	witness := func() (int, string) {
		code, out, stderr := invokeCLI(t, "", "ledger", "witness", "--key", keyFile, "--log-key", logKey, "--state", state, srv.URL)
		return code, out + stderr
	}

	if code, out := witness(); code != ExitOK || !strings.Contains(out, "checkpoint 5") {
		t.Fatalf("first round: %d %s", code, out)
	}
	appendN(7, "release/2")
	if code, out := witness(); code != ExitOK || !strings.Contains(out, "checkpoint 12") {
		t.Fatalf("second round: %d %s", code, out)
	}
	// The server serves the cosigned checkpoint; the cosignature verifies against the witness key.
	resp, err := http.Get(srv.URL + "/ledger/checkpoint?cosigned=1")
	if err != nil {
		t.Fatal(err)
	}
	note, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	cp, err := ledger.OpenCheckpoint(string(note), logKey)
	if err != nil || cp.Size != 12 {
		t.Fatalf("cosigned checkpoint %d %v:\n%s", cp.Size, err, note)
	}
	w, _ := ledger.ParseWitness(vkey)
	if _, err := ledger.VerifyCosignatures(string(note), cp, []ledger.Witness{w}); err != nil {
		t.Fatalf("served cosignature: %v", err)
	}
	// A cosignature by a witness the server does not trust is refused.
	strangerKey := filepath.Join(dir, "stranger.key")
	invokeCLI(t, "", "ledger", "witness-key", "--name", "stranger.example", "--out", strangerKey)
	if code, out, stderr := invokeCLI(t, "", "ledger", "witness", "--key", strangerKey, "--log-key", logKey, "--state", filepath.Join(dir, "s2"), srv.URL); code != ExitError || !strings.Contains(out+stderr, "refused") {
		t.Errorf("untrusted witness: %d %s %s", code, out, stderr)
	}

	// The operator rewrites history: the log is emptied and refilled (same key, more entries).
	raw, err := sql.Open("sqlite", filepath.Join(data, "siegel.sqlite"))
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{"DELETE FROM ledger_content", "DELETE FROM ledger_entry", "DELETE FROM ledger_hash", "DELETE FROM ledger_cosignature", "DELETE FROM ledger_subject_node", "DELETE FROM ledger_subject_map"} {
		if _, err := raw.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	raw.Close()
	appendN(20, "release/3")
	before, _ := os.ReadFile(state)
	code, out := witness()
	if code != ExitError || !strings.Contains(out, "not consistent") {
		t.Fatalf("rewritten history: %d %s", code, out)
	}
	if after, _ := os.ReadFile(state); string(after) != string(before) {
		t.Error("the state lost the checkpoint that proves the fork")
	}
}
