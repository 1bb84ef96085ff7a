package storetest

import (
	"crypto/ed25519"
	"errors"
	"testing"
	"time"

	"github.com/siegel-oss/siegel/internal/rollout"
	"github.com/siegel-oss/siegel/internal/rollout/delivery"
	"github.com/siegel-oss/siegel/internal/rollout/repo"
	"github.com/siegel-oss/siegel/internal/store"
)

// testRollouts drives a rollout through the store: repository, publication, enrollment, plan,
// a device's reports, a passed deadline judged as failure, the halt and its rollback, all with
// their ledger records.
func testRollouts(t *testing.T, s *store.DB) {
	ctx := t.Context()
	org := must(s.CreateOrganization(ctx, "ACME", "medium", false))
	prod := must(s.CreateProduct(ctx, org.ID, "HomeRouter", "router", "important-i"))
	now := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	tk := repo.NewKey()
	svc := &delivery.Service{Store: s, TargetsKey: tk, Now: func() time.Time { return now }}
	must(svc.Init(ctx, org.ID, prod.ID, []ed25519.PrivateKey{repo.NewKey()}, 1, tk))
	for _, v := range []string{"1.0.0", "2.0.0"} {
		must(svc.Publish(ctx, org.ID, prod.ID, repo.Artifact{Name: "fw.bin", Version: v, HardwareClass: "hw"}, []byte("image "+v)))
	}
	if _, err := svc.Publish(ctx, org.ID, prod.ID, repo.Artifact{Name: "fw.bin", Version: "2.0.0", HardwareClass: "hw"}, []byte("again")); !errors.Is(err, delivery.ErrInput) {
		t.Errorf("a version published twice: %v", err)
	}
	var nds []store.NewDevice
	for i := range 6 {
		nds = append(nds, store.NewDevice{Name: string(rune('a' + i)), HardwareClass: "hw", Region: "eu", Version: "1.0.0"})
	}
	devs, toks := must2(s.AddDevices(ctx, org.ID, prod.ID, nds))
	if d := must(s.DeviceByToken(ctx, toks[2])); d.ID != devs[2].ID || d.Organization != org.ID {
		t.Errorf("device by token: %+v", d)
	}
	if _, err := s.DeviceByToken(ctx, "sgd_unknown"); !errors.Is(err, store.ErrUnauthorizedDevice) {
		t.Errorf("unknown token: %v", err)
	}
	must(s.AddChannel(ctx, store.Channel{Organization: org.ID, Kind: "webhook", Target: "https://hooks.acme.example/siegel", Secret: "0123456789abcdef0123",
		Events: []string{store.EventRolloutHalted, store.EventRolloutRollback}}))
	g := rollout.DefaultGate()
	g.P0, g.P1, g.Alpha, g.Beta = 0.05, 0.5, 0.05, 0.1
	dl := rollout.Deadlines{Default: rollout.Timing{Install: rollout.Duration(time.Minute), Reboot: rollout.Duration(time.Minute), Heartbeat: rollout.Duration(time.Minute), Heartbeats: 1}}
	ro, _ := must2(svc.Plan(ctx, org.ID, prod.ID, delivery.PlanInput{Version: "2.0.0", Waves: []rollout.WaveSpec{{Count: 3}}, Gate: &g, Deadlines: &dl, ExposureLimit: 6, Seed: 5}, "test"))
	rows := must(s.RolloutDevices(ctx, ro.ID))
	var canary []store.RolloutDevice
	for _, r := range rows {
		if !r.AssignedAt.IsZero() {
			canary = append(canary, r)
		}
	}
	if len(canary) != 3 || !canary[0].Deadline.Equal(now.Add(3*time.Minute)) {
		t.Fatalf("canary: %+v", canary)
	}
	byID := map[int64]store.Device{}
	for _, d := range devs {
		byID[d.ID] = d
	}
	first := byID[canary[0].Device]
	as := must(s.DeviceAssignment(ctx, first.ID))
	if as.Rollout != ro.ID || as.Target != "hw/2.0.0/fw.bin" || as.Version != "2.0.0" {
		t.Errorf("assignment: %+v", as)
	}
	for _, ev := range []delivery.Report{{Event: "downloaded"}, {Event: "installed"}, {Event: "booted", Version: "2.0.0", Healthy: true}} {
		ev.Rollout = ro.ID
		if err := svc.Report(ctx, &first, ev); err != nil {
			t.Fatal(err)
		}
	}
	second := byID[canary[1].Device]
	if err := svc.Report(ctx, &second, delivery.Report{Rollout: ro.ID, Event: "downloaded"}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.DeviceAssignment(ctx, first.ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("a judged device still has an assignment: %v", err)
	}
	// The other two never succeed: at their deadline silence counts as failure, the test rejects.
	now = now.Add(4 * time.Minute)
	if err := svc.Tick(ctx); err != nil {
		t.Fatal(err)
	}
	st := must(svc.Status(ctx, org.ID, ro.ID))
	if st.Status != string(rollout.Halted) || st.Waves[0].Succeeded != 1 || st.Waves[0].Failed != 2 {
		t.Fatalf("after the deadline: %s %+v", st.Status, st.Waves)
	}
	if len(st.Path) != 3 || st.Path[2].LLR < st.Upper {
		t.Errorf("path %+v, upper %g", st.Path, st.Upper)
	}
	if _, err := s.DeviceAssignment(ctx, devs[5].ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("a halted rollout assigns: %v", err)
	}
	// The device that had downloaded gets the rollback, a new target with a higher counter.
	rs := must(s.Rollouts(ctx, org.ID, prod.ID))
	if len(rs) != 2 || rs[0].Kind != rollout.KindRollback || rs[0].Parent != ro.ID {
		t.Fatalf("rollouts: %+v", rs)
	}
	rb := must(s.DeviceAssignment(ctx, second.ID))
	if rb.Rollout != rs[0].ID || rb.Version != "1.0.0" || rb.Target != "hw/1.0.0/rollback-3.fw.bin" {
		t.Errorf("rollback assignment: %+v", rb)
	}
	b := must(s.LedgerBundle(ctx, org.ID, "rollout/", false))
	kinds := map[string]int{}
	for _, e := range b.Entries {
		kinds[e.Statement.Type]++
	}
	for _, k := range []string{rollout.RecordPlanned, rollout.RecordReleased, rollout.RecordGate, rollout.RecordHalted, "rollout-rollback-signed"} {
		if kinds[k] == 0 {
			t.Errorf("ledger lacks %s: %v", k, kinds)
		}
	}
	// Aborted where the targets key is not at hand: the rollback waits, and is signed by the
	// next tick of a service that holds the key.
	must(svc.Publish(ctx, org.ID, prod.ID, repo.Artifact{Name: "fw.bin", Version: "3.0.0", HardwareClass: "hw"}, []byte("image 3.0.0")))
	ro3, _ := must2(svc.Plan(ctx, org.ID, prod.ID, delivery.PlanInput{Version: "3.0.0", Waves: []rollout.WaveSpec{{Count: 2}}, Gate: &g, Deadlines: &dl, ExposureLimit: 6, Seed: 9}, "test"))
	keyless := &delivery.Service{Store: s, Now: svc.Now}
	for _, r := range must(s.RolloutDevices(ctx, ro3.ID)) {
		if !r.AssignedAt.IsZero() {
			d := byID[r.Device]
			if err := keyless.Report(ctx, &d, delivery.Report{Rollout: ro3.ID, Event: "downloaded"}); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := keyless.Control(ctx, org.ID, ro3.ID, "abort", "field reports of reboots", "test"); err != nil {
		t.Fatal(err)
	}
	if ids := must(s.UnrolledBack(ctx)); len(ids) != 1 || ids[0] != ro3.ID {
		t.Fatalf("unrolled-back rollouts: %v", ids)
	}
	if err := svc.Tick(ctx); err != nil {
		t.Fatal(err)
	}
	if ids := must(s.UnrolledBack(ctx)); len(ids) != 0 {
		t.Errorf("still not rolled back: %v", ids)
	}
	if rs := must(s.Rollouts(ctx, org.ID, prod.ID)); rs[0].Kind != rollout.KindRollback || rs[0].Parent != ro3.ID {
		t.Errorf("no rollback of the aborted rollout: %+v", rs[0])
	}
	notes := map[string]int{}
	for _, n := range must(s.Notifications(ctx, org.ID, 10)) {
		notes[n.Kind]++
	}
	if notes[store.EventRolloutHalted] != 2 || notes[store.EventRolloutRollback] != 2 {
		t.Errorf("notifications: %v", notes)
	}
	if err := s.TouchDevices(ctx, map[int64]time.Time{devs[4].ID: now}); err != nil {
		t.Fatal(err)
	}
	if got := must(s.Devices(ctx, prod.ID))[4].LastSeen; !got.Equal(now) {
		t.Errorf("last seen %s", got)
	}
}
