package monitor_test

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/siegel-oss/siegel/internal/health"
	"github.com/siegel-oss/siegel/internal/monitor"
	"github.com/siegel-oss/siegel/internal/notify"
	"github.com/siegel-oss/siegel/internal/store"
)

// TestEndOfLifeNotices checks that the clocks job tells an organization once when a component of
// one of its releases has reached its end of life, and not of supported components.
func TestEndOfLifeNotices(t *testing.T) {
	ctx := t.Context()
	now := time.Date(2026, 7, 1, 8, 0, 0, 0, time.UTC) // WidgetDB 3.1 ended 2026-06-30
	st, err := store.OpenSQLite(ctx, t.TempDir(), func() time.Time { return now })
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	vdir := t.TempDir()
	ps, date, err := health.ImportEndOfLife(ctx, filepath.Join("..", "health", "testdata", "eol"), now, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := (&health.Data{Products: ps, Sources: map[string]time.Time{health.SourceEndOfLife: date}}).Save(vdir); err != nil {
		t.Fatal(err)
	}
	org, _ := st.CreateOrganization(ctx, "ACME", "small", false)
	h := newHook(t, "0123456789abcdef-secret")
	st.AddChannel(ctx, store.Channel{Organization: org.ID, Kind: "webhook", Target: h.srv.URL, Secret: "0123456789abcdef-secret",
		Events: []string{store.EventComponentEOL}})
	prod, _ := st.CreateProduct(ctx, org.ID, "Cam", "camera", "default")
	rel, _ := st.CreateRelease(ctx, prod.ID, "2.0", "2026-06-01", "2031-06")
	comps := []store.Component{
		{Ref: "a", Name: "widgetdb", Version: "3.1.9", PURL: "pkg:npm/widgetdb@3.1.9"},
		{Ref: "b", Name: "widgetdb", Version: "3.10.2", PURL: "pkg:npm/widgetdb@3.10.2"},
		{Ref: "c", Name: "left-pad", Version: "1.3.0", PURL: "pkg:npm/left-pad@1.3.0"},
	}
	if _, err := st.AddSBOM(ctx, rel.ID, store.SBOMContent{Format: "cyclonedx-json", SHA256: "aa", Components: comps}); err != nil {
		t.Fatal(err)
	}
	mon := monitor.New(monitor.Config{Store: st, VulnDB: vdir, Now: func() time.Time { return now }, Webhooks: loopbackWebhooks})
	if _, err := st.Enqueue(ctx, monitor.KindClocks, struct{}{}, monitor.KindClocks, time.Time{}); err != nil {
		t.Fatal(err)
	}
	drain(t, mon)
	got := h.take()
	if len(got) != 1 || !strings.HasPrefix(got[0], store.EventComponentEOL) {
		t.Fatalf("events %v, want one component.eol", got)
	}
	ns, _ := st.Notifications(ctx, org.ID, 10)
	var e notify.Event
	if len(ns) != 1 || json.Unmarshal(ns[0].Payload, &e) != nil {
		t.Fatalf("notifications %v", ns)
	}
	if e.Package != "pkg:npm/widgetdb@3.1.9" || e.ReleaseID != rel.ID ||
		!strings.Contains(e.Summary, "widgetdb 3.1.9 in Cam 2.0 reached its end of life on 2026-06-30 (widgetdb 3.1, endoflife.date data of 2025-09-01)") {
		t.Errorf("event %+v", e)
	}
	// A day later the pass runs again and announces nothing new.
	now = now.Add(25 * time.Hour)
	if _, err := st.RunNow(ctx, monitor.KindClocks); err != nil {
		t.Fatal(err)
	}
	drain(t, mon)
	if got := h.take(); len(got) != 0 {
		t.Errorf("announced again: %v", got)
	}
}
