package portfolio

import (
	"bytes"
	"encoding/json"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/siegel-oss/siegel/internal/input"
	"github.com/siegel-oss/siegel/internal/sbom"
	"github.com/siegel-oss/siegel/internal/store"
)

func devices(n int64) *int64 { return &n }

// fleet is a portfolio of 8 manufacturers with one product and one release each; release i
// declares (i+1)*1000 devices, except release 7, whose count is unknown.
func fleet() []store.InventoryRelease {
	var rels []store.InventoryRelease
	for i := range 8 {
		r := store.InventoryRelease{ID: int64(100 + i), Product: int64(10 + i), Organization: int64(1 + i), Devices: devices(int64(i+1) * 1000)}
		if i == 7 {
			r.Devices = nil
		}
		rels = append(rels, r)
	}
	return rels
}

type occ struct {
	release int64
	base    string
	direct  bool
}

// occurrences: openssl in all 8 releases (direct in the first four), zlib in releases 0-5
// (transitive; release 5 has no graph), busybox in 0-4, and "pkg:npm/acme-secret" in releases
// 0-3 only: four manufacturers, below k = 5.
func occurrences() []occ {
	var out []occ
	for i := range 8 {
		out = append(out, occ{int64(100 + i), "pkg:generic/openssl", i < 4})
	}
	for i := range 6 {
		out = append(out, occ{int64(100 + i), "pkg:generic/zlib", false})
	}
	for i := range 5 {
		out = append(out, occ{int64(100 + i), "pkg:generic/busybox", true})
		out = append(out, occ{int64(100 + i), "pkg:generic/busybox", false}) // twice in one release: counted once
	}
	return out
}

var secret = []occ{{100, "pkg:npm/acme-secret", true}, {101, "pkg:npm/acme-secret", false}, {102, "pkg:npm/acme-secret", true}, {103, "pkg:npm/acme-secret", false}}

func build(occs []occ, opts Options) *Inventory {
	b := NewBuilder(fleet())
	for _, o := range occs {
		b.Add(o.release, []byte(o.base), o.direct)
	}
	return b.Build(opts)
}

func facts(base string) Facts {
	switch base {
	case "pkg:generic/zlib":
		return Facts{Health: "end-of-life", Unhealthy: true, MemorySafety: NotMemorySafe}
	case "pkg:generic/openssl":
		return Facts{Health: "supported", MemorySafety: NotMemorySafe}
	}
	return Facts{}
}

func TestInventoryFigures(t *testing.T) {
	inv := build(append(occurrences(), secret...), Options{Facts: facts})
	byPURL := map[string]Component{}
	for _, c := range inv.Components {
		byPURL[c.PURL] = c
	}
	// Release 5 (zlib's last) has no direct component: its graph is unknown.
	want := map[string]Component{
		"pkg:generic/openssl": {PURL: "pkg:generic/openssl", Manufacturers: 8, Products: 8, Releases: 8, Devices: 28000, ReleasesUnknownDevices: 1,
			Direct: 4, Transitive: 1, GraphUnknown: 3, Health: "supported", MemorySafety: NotMemorySafe},
		"pkg:generic/zlib": {PURL: "pkg:generic/zlib", Manufacturers: 6, Products: 6, Releases: 6, Devices: 21000,
			Transitive: 5, GraphUnknown: 1, Health: "end-of-life", Unhealthy: true, MemorySafety: NotMemorySafe},
		"pkg:generic/busybox": {PURL: "pkg:generic/busybox", Manufacturers: 5, Products: 5, Releases: 5, Devices: 15000,
			Direct: 5, Health: Unknown, MemorySafety: Unknown},
	}
	if len(byPURL) != 3 {
		t.Fatalf("published %d components, want 3: %+v", len(byPURL), inv.Components)
	}
	for p, w := range want {
		got := byPURL[p]
		got.Rank, got.Score, got.InCriticalSet, got.CumulativeShare = 0, 0, false, 0
		if diff := cmp.Diff(w, got); diff != "" {
			t.Errorf("%s (-want +got):\n%s", p, diff)
		}
	}
	// The formula, worked by hand: zlib log2(7) × (1 + log10(21001)) × 1.5 × 1.25.
	if got, want := byPURL["pkg:generic/zlib"].Score, math.Round(math.Log2(7)*(1+math.Log10(21001))*1.5*1.25*1000)/1000; got != want {
		t.Errorf("zlib score %v, want %v", got, want)
	}
	if inv.Components[0].PURL != "pkg:generic/zlib" || inv.Components[0].Rank != 1 {
		t.Errorf("the unhealthy, not memory-safe zlib should rank first: %+v", inv.Components[0])
	}
	// Device dependencies 28000 + 21000 + 15000 = 64000; 80 % is 51200: openssl and zlib
	// cover 49000 (76.6 %), so busybox is needed too.
	if inv.DeviceDependencies != 64000 || inv.Critical != 3 {
		t.Errorf("device dependencies %d, critical set %d; want 64000 and 3", inv.DeviceDependencies, inv.Critical)
	}
	inv = build(occurrences(), Options{Coverage: 0.75})
	if inv.Critical != 2 || !byName(inv, "pkg:generic/openssl").InCriticalSet || byName(inv, "pkg:generic/busybox").InCriticalSet {
		t.Errorf("at 75 %% the critical set is openssl and zlib: %+v", inv.Components)
	}
	if got := byName(inv, "pkg:generic/zlib").CumulativeShare; got != 0.7656 {
		t.Errorf("zlib's cumulative share %v, want 0.7656", got)
	}
}

func byName(inv *Inventory, p string) Component {
	for _, c := range inv.Components {
		if c.PURL == p {
			return c
		}
	}
	return Component{}
}

// A component used by fewer than k manufacturers appears in no output, and no output changes
// when it is added: nothing about it can be derived, not even from a total.
func TestInventoryKAnonymity(t *testing.T) {
	now := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	render := func(inv *Inventory) []string {
		j, _ := json.Marshal(inv)
		var c, x bytes.Buffer
		if err := WriteCSV(&c, inv); err != nil {
			t.Fatal(err)
		}
		if err := WriteCycloneDX(&x, inv, true, now); err != nil {
			t.Fatal(err)
		}
		return []string{string(j), c.String(), x.String()}
	}
	with := render(build(append(occurrences(), secret...), Options{Facts: facts}))
	without := render(build(occurrences(), Options{Facts: facts}))
	for i, name := range []string{"JSON", "CSV", "CycloneDX"} {
		if strings.Contains(with[i], "acme-secret") {
			t.Errorf("%s names the component below k", name)
		}
		if with[i] != without[i] {
			t.Errorf("%s changes when the component below k is added:\n%s\n%s", name, with[i], without[i])
		}
	}
	// At k = 4 it is published: the test above could fail.
	if inv := build(append(occurrences(), secret...), Options{K: 4}); byName(inv, "pkg:npm/acme-secret").Manufacturers != 4 {
		t.Errorf("at k = 4 the component of four manufacturers is published: %+v", inv.Components)
	}
	// k is never below 2: one manufacturer's components are never published.
	if inv := build(append(occurrences(), secret...), Options{K: 1}); inv.K != 2 {
		t.Errorf("k = 1 accepted: %d", inv.K)
	}
}

// The CycloneDX export is valid against the CycloneDX 1.6 schema and carries the figures.
func TestInventoryCycloneDX(t *testing.T) {
	inv := build(occurrences(), Options{Facts: facts})
	var buf bytes.Buffer
	if err := WriteCycloneDX(&buf, inv, false, time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)); err != nil {
		t.Fatal(err)
	}
	problems, err := sbom.CheckSchema(buf.Bytes(), sbom.CycloneDXJSON)
	if err != nil || len(problems) > 0 {
		t.Fatalf("schema: %v %v\n%s", err, problems, buf.String())
	}
	doc, err := sbom.Decode("inventory.cdx.json", buf.Bytes(), input.DefaultLimits())
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, c := range doc.Components {
		if c.Ref != doc.Subject {
			n++
		}
	}
	if n != inv.Critical {
		t.Errorf("%d components, want the %d of the critical set", n, inv.Critical)
	}
	found := false
	for _, c := range doc.Components {
		for _, p := range c.Properties {
			if c.PURL == "pkg:generic/zlib" && p.Name == "siegel:portfolio:devices" && p.Value == "21000" {
				found = true
			}
		}
	}
	if !found {
		t.Errorf("zlib's devices are not a property:\n%s", buf.String())
	}
	var csvBuf bytes.Buffer
	WriteCSV(&csvBuf, inv)
	if lines := strings.Split(strings.TrimSpace(csvBuf.String()), "\n"); len(lines) != 4 || !strings.HasPrefix(lines[1], "1,pkg:generic/zlib,6,6,6,21000,0,0,5,1,end-of-life,true,not-memory-safe,") {
		t.Errorf("CSV:\n%s", csvBuf.String())
	}
}

// Facts from the health package: memory safety by type, unknown health without data.
func TestHealthFacts(t *testing.T) {
	f := HealthFacts(nil, time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC))
	if got := f("pkg:cargo/serde"); got.MemorySafety != MemorySafe || got.Unhealthy || got.Health != Unknown {
		t.Errorf("serde: %+v", got)
	}
	if got := f("pkg:generic/openssl"); got.MemorySafety == MemorySafe {
		t.Errorf("openssl judged memory-safe: %+v", got)
	}
}
