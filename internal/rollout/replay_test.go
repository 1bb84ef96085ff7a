package rollout

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/siegel-oss/siegel/internal/ledger"
)

// scenario runs two rollouts through the real rules and returns their records as JSON would
// carry them: a good update paused and resumed, whose later waves are judged in bulk, and a bad
// update that halts and is rolled back.
func scenario(t *testing.T) []Record {
	t.Helper()
	var all []Record
	add := func(recs []Record, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, recs...)
	}
	good := testPlan(t, 20000, WaveSpec{Count: 100}, WaveSpec{Percent: 5})
	r, recs, err := Start(good, t0, "alice", nil)
	add(recs, err)
	now := t0
	for i := range 100 {
		now = now.Add(time.Minute)
		if i == 30 {
			add(r.Pause(now, "alice", "weekend"))
		}
		o := Outcome{Device: fmt.Sprintf("d%d", i), Position: i, Success: i != 80, Reason: ReasonHealthy, At: now}
		if !o.Success {
			o.Reason = ReasonFellBack
		}
		add(r.Observe(now, o))
	}
	add(r.Resume(now, "alice", "monday"))
	add(r.ObserveCounts(now.Add(time.Hour), 1, 990, 10))
	add(r.ObserveCounts(now.Add(2*time.Hour), 2, 18850, 50))

	bad := testPlan(t, 20000, WaveSpec{Count: 100})
	bad.Rollout = "r2"
	bad.ExposureBound = ExposureBound(bad)
	r2, recs, err := Start(bad, t0, "bob", nil)
	add(recs, err)
	for i := range 100 {
		add(r2.Observe(t0.Add(time.Hour), Silent(fmt.Sprintf("e%d", i), i, t0.Add(time.Hour))))
	}
	exposed := testFleet(100)
	rb, err := NewRollback(bad, "r2-rollback", "1.9", exposed, 11)
	if err != nil {
		t.Fatal(err)
	}
	r3, recs, err := Start(rb, t0.Add(2*time.Hour), "siegel", nil)
	add(recs, err)
	for i := range 100 {
		if r3.Released() <= i {
			break
		}
		add(r3.Observe(t0.Add(3*time.Hour), Outcome{Device: fmt.Sprint(i), Position: i, Success: true, Reason: ReasonHealthy, At: t0.Add(3 * time.Hour)}))
	}
	data, err := json.Marshal(all)
	if err != nil {
		t.Fatal(err)
	}
	var back []Record
	if err := json.Unmarshal(data, &back); err != nil {
		t.Fatal(err)
	}
	return back
}

func TestReplayMatchesTheRules(t *testing.T) {
	recs := scenario(t)
	res := Replay(recs)
	if res.Mismatches != 0 || len(res.Checks) != len(recs) || res.Rollouts != 3 {
		for _, c := range res.Checks {
			if !c.Match {
				t.Errorf("%s #%d %s: %s", c.Rollout, c.Seq, c.Kind, c.Detail)
			}
		}
		t.Fatalf("%d mismatches in %d checks of %d rollouts", res.Mismatches, len(res.Checks), res.Rollouts)
	}
	var halted, completed int
	for _, r := range recs {
		switch r.Kind {
		case RecordHalted:
			halted++
		case RecordCompleted:
			completed++
		}
	}
	if halted != 1 || completed != 2 {
		t.Errorf("scenario: %d halts and %d completions, want 1 and 2", halted, completed)
	}
}

// Each way of lying about a decision is caught, at the record that lies.
func TestReplayFindsTampering(t *testing.T) {
	find := func(recs []Record, ok func(Record) bool) int {
		for i, r := range recs {
			if ok(r) {
				return i
			}
		}
		t.Fatal("no such record in the scenario")
		return 0
	}
	cases := []struct {
		name   string
		tamper func([]Record) ([]Record, int) // returns the records and the index expected to mismatch
	}{
		{"gate decision flipped", func(recs []Record) ([]Record, int) {
			i := find(recs, func(r Record) bool { return r.Gate != nil && r.Gate.Decision == Reject })
			recs[i].Gate.Decision = Continue
			return recs, i
		}},
		{"log-likelihood ratio changed", func(recs []Record) ([]Record, int) {
			i := find(recs, func(r Record) bool { return r.Gate != nil && r.Gate.Test == TestSPRT && r.Gate.Failures == 1 })
			recs[i].Gate.LLR += 0.5
			return recs, i
		}},
		{"outcome rewritten after the fact", func(recs []Record) ([]Record, int) {
			i := find(recs, func(r Record) bool { return r.Gate != nil && r.Gate.Outcome != nil && !r.Gate.Outcome.Success })
			recs[i].Gate.Outcome.Success = true
			return recs, i
		}},
		{"inputs digest forged", func(recs []Record) ([]Record, int) {
			i := find(recs, func(r Record) bool { return r.Gate != nil && r.Gate.Test == TestSPRT && r.Seq == 10 })
			recs[i].Gate.InputsDigest = strings.Repeat("0", 64)
			return recs, i
		}},
		{"exposure bound understated", func(recs []Record) ([]Record, int) {
			recs[0].Plan.ExposureBound = 50
			return recs, 0
		}},
		{"wave released early", func(recs []Record) ([]Record, int) {
			i := find(recs, func(r Record) bool { return r.Release != nil && r.Release.Wave == 1 })
			recs[i].Release.To += 500
			return recs, i
		}},
		{"halt without a rollback decision", func(recs []Record) ([]Record, int) {
			i := find(recs, func(r Record) bool { return r.Kind == RecordHalted })
			recs[i].Halt.Rollback = false
			return recs, i
		}},
		{"record left out", func(recs []Record) ([]Record, int) {
			i := find(recs, func(r Record) bool { return r.Kind == RecordResumed })
			return append(recs[:i:i], recs[i+1:]...), i // the release after the resume has no cause
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			recs, at := c.tamper(scenario(t))
			res := Replay(recs)
			if res.Mismatches == 0 {
				t.Fatal("replay found no mismatch")
			}
			first := -1
			for i, ch := range res.Checks {
				if !ch.Match {
					first = i
					break
				}
			}
			// Checks come grouped by rollout in order of first appearance, which is the
			// records' order here.
			if first != at {
				t.Errorf("first mismatch at check %d (%+v), want %d", first, res.Checks[first], at)
			}
		})
	}
}

func TestReplayRollbackNeedsItsHalt(t *testing.T) {
	recs := scenario(t)
	for i := range recs {
		if recs[i].Kind == RecordHalted && recs[i].Rollout == "r2" {
			recs = append(recs[:i:i], recs[i+1:]...)
			break
		}
	}
	res := Replay(recs)
	found := false
	for _, c := range res.Checks {
		if c.Rollout == "r2-rollback" && c.Kind == RecordPlanned && !c.Match {
			found = true
		}
	}
	if !found {
		t.Error("a rollback of a rollout that never decided one passed the replay")
	}
}

// FuzzReplay: records from an untrusted bundle never make the replay panic or run away.
func FuzzReplay(f *testing.F) {
	f.Add([]byte(`[]`))
	f.Add([]byte(`[{"kind":"rollout-planned","rollout":"x","seq":1,"plan":{"fleet":3,"waves":[{"size":3,"failureLimit":4}],"strata":[{"devices":3}],"gate":{"p0":0.005,"p1":0.05,"alpha":0.01,"beta":0.05,"maxFailures":10},"kind":"update","exposureBound":3,"exposureLimit":3}},{"kind":"rollout-gate-evaluated","rollout":"x","seq":3,"gate":{"test":"sprt","wave":7,"outcome":{"wave":7}}}]`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var recs []Record
		if json.Unmarshal(data, &recs) != nil {
			return
		}
		res := Replay(recs)
		if len(res.Checks) != len(recs) {
			t.Fatalf("%d checks for %d records", len(res.Checks), len(recs))
		}
	})
}

// FuzzRecordsFromBundle: any content of a rollout statement decodes or fails with an error
// naming the entry, never a panic.
func FuzzRecordsFromBundle(f *testing.F) {
	f.Add([]byte(`{"kind":"rollout-paused","rollout":"a","seq":2,"at":"2026-01-01T00:00:00Z","control":{"reason":"x"}}`), "rollout-paused", "rollout/a")
	f.Add([]byte(`{"kind":"rollout-paused","extra":1}`), "rollout-paused", "rollout/a")
	f.Fuzz(func(t *testing.T, content []byte, typ, subject string) {
		b := &ledger.Bundle{Entries: []ledger.Entry{{Index: 4, Statement: ledger.Statement{Type: typ, Subject: subject}, Content: content}}}
		recs, err := RecordsFromBundle(b)
		if err != nil {
			if !strings.Contains(err.Error(), "entry 0 (log index 4") {
				t.Fatalf("error without the entry: %v", err)
			}
			return
		}
		for _, r := range recs {
			if r.Kind != typ || SubjectPrefix+r.Rollout != subject {
				t.Fatalf("record %+v accepted from a %s statement about %s", r, typ, subject)
			}
		}
	})
}
