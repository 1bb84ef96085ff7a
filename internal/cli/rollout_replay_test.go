package cli

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/siegel-oss/siegel/internal/rollout"
	"github.com/siegel-oss/siegel/internal/store"
)

// TestRolloutReplay: a ledger holding a rollout that halted is exported and replayed with every
// decision matching; a rollout whose ledger records a decision the rules would not have made is
// reported as a mismatch, with exit code 1.
func TestRolloutReplay(t *testing.T) {
	ctx := t.Context()
	dir := t.TempDir()
	st, err := store.OpenSQLite(ctx, filepath.Join(dir, "data"), time.Now)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	fleet := make([]rollout.Device, 5000)
	for i := range fleet {
		fleet[i] = rollout.Device{ID: fmt.Sprintf("d%04d", i), HardwareClass: "gw", Region: []string{"eu", "us"}[i%2]}
	}
	t0 := time.Date(2026, 5, 4, 10, 0, 0, 0, time.UTC)
	// run plans a rollout and feeds it silent failures on every third device until it halts.
	run := func(id string) []rollout.Record {
		p, err := rollout.NewPlan(rollout.PlanRequest{Rollout: id, Version: "3.1", Waves: []rollout.WaveSpec{{Count: 5}, {Percent: 10}},
			Gate: rollout.DefaultGate(), Seed: 42}, fleet)
		if err != nil {
			t.Fatal(err)
		}
		r, recs, err := rollout.Start(p, t0, "alice", nil)
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; r.State().Status == rollout.Running && i < r.Released(); i++ {
			at := t0.Add(time.Duration(i) * time.Minute)
			o := rollout.Outcome{Device: fmt.Sprint(i), Position: i, Success: i%3 != 2, Reason: rollout.ReasonHealthy, At: at}
			if !o.Success {
				o = rollout.Silent(o.Device, i, at)
			}
			more, err := r.Observe(at, o)
			if err != nil {
				t.Fatal(err)
			}
			recs = append(recs, more...)
		}
		if r.State().Status != rollout.Halted {
			t.Fatalf("rollout %s: %s, want halted", id, r.State().Status)
		}
		return recs
	}
	appendRecs := func(recs []rollout.Record) {
		items := make([]store.LedgerItem, len(recs))
		for i, r := range recs {
			items[i] = store.LedgerItem{Organization: 1, Type: r.Kind, Subject: rollout.SubjectPrefix + r.Rollout, Content: r}
		}
		if err := st.LedgerAppend(ctx, items); err != nil {
			t.Fatal(err)
		}
	}
	export := func(subject string) string {
		b, err := st.LedgerBundle(ctx, 1, subject, true)
		if err != nil {
			t.Fatal(err)
		}
		data, _ := json.Marshal(b)
		file := filepath.Join(dir, strings.ReplaceAll(subject, "/", "_")+".json")
		if err := os.WriteFile(file, data, 0o644); err != nil {
			t.Fatal(err)
		}
		return file
	}

	appendRecs(run("honest"))
	code, out, stderr := invokeCLI(t, "", "rollout", "replay", export("rollout/honest"))
	if code != ExitOK || strings.Contains(out, "MISMATCH") || !strings.Contains(out, "rollout-halted") || !strings.Contains(out, "rollout honest (complete") {
		t.Fatalf("honest rollout: exit %d\n%s%s", code, out, stderr)
	}

	// A rollout whose operator wrote "continue" where the test rejected, and went on releasing.
	lie := run("liar")
	for i := range lie {
		if g := lie[i].Gate; g != nil && g.Decision == rollout.Reject {
			g.Decision = rollout.Continue
			lie = append(lie[:i+1], rollout.Record{Kind: rollout.RecordReleased, Rollout: "liar", Seq: lie[i].Seq + 1, At: lie[i].At,
				Release: &rollout.Release{Wave: 1, From: 5, To: 505, Why: rollout.WhyAccepted}})
			break
		}
	}
	appendRecs(lie)
	code, out, stderr = invokeCLI(t, "", "rollout", "replay", export("rollout/"))
	if code != ExitError || !strings.Contains(out, "MISMATCH") || !strings.Contains(stderr, "do not match") {
		t.Fatalf("lying rollout: exit %d\n%s%s", code, out, stderr)
	}
	for _, line := range strings.Split(out, "\n") {
		if strings.Contains(line, "MISMATCH") && !strings.Contains(line, "rollout-gate-evaluated") {
			t.Errorf("the first mismatch should be the falsified evaluation: %s", line)
		}
		if strings.Contains(line, "MISMATCH") {
			break
		}
	}
}
