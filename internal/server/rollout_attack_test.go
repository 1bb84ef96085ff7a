package server

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sigstore/sigstore/pkg/signature"
	"github.com/theupdateframework/go-tuf/v2/metadata"

	"github.com/siegel-oss/siegel/internal/agent"
	"github.com/siegel-oss/siegel/internal/rollout"
	"github.com/siegel-oss/siegel/internal/rollout/delivery"
	"github.com/siegel-oss/siegel/internal/rollout/repo"
	"github.com/siegel-oss/siegel/internal/server/api"
)

// mirror is a malicious repository mirror between the agents and the server: it passes the
// device API through and tampers with what the named device fetches from the repository.
type mirror struct {
	mu      sync.Mutex
	tamper  map[string]func(path string, body []byte) []byte // by device token
	reroute map[string]string                                // assignment target rewritten, by token
}

func (m *mirror) handler(upstream string) http.Handler {
	u, _ := url.Parse(upstream)
	proxy := httputil.NewSingleHostReverseProxy(u)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tok := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
		m.mu.Lock()
		tamper, reroute := m.tamper[r.Header.Get("X-Device")], m.reroute[tok]
		m.mu.Unlock()
		rec := httptest.NewRecorder()
		proxy.ServeHTTP(rec, r)
		body := rec.Body.Bytes()
		if r.URL.Path == "/api/v1/device/assignment" && reroute != "" && rec.Code == http.StatusOK {
			var as map[string]any
			json.Unmarshal(body, &as)
			as["target"] = reroute
			body, _ = json.Marshal(as)
		}
		if strings.HasPrefix(r.URL.Path, "/tuf/") && tamper != nil {
			if t := tamper(r.URL.Path, body); !bytes.Equal(t, body) {
				body, rec.Code = t, http.StatusOK
			}
		}
		w.Header().Set("Content-Length", strconv.Itoa(len(body)))
		w.WriteHeader(rec.Code)
		w.Write(body)
	})
}

// deviceHeader tags a device's repository requests so the mirror knows whom it serves (the
// updater sends no token).
type deviceHeader struct {
	name string
	next http.RoundTripper
}

func (d deviceHeader) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("X-Device", d.name)
	return d.next.RoundTrip(r)
}

// TestAgentRefusesTUFAttacks runs each attack against one device of a canary through a malicious
// mirror and checks that the device refuses the update with the attack's typed reason, reported
// to the server (the device's outcome) and recorded in the ledger.
func TestAgentRefusesTUFAttacks(t *testing.T) {
	e := newFleetEnv(t, 2) // root threshold 2
	e.publish("1.0.0", "hw-a", []byte("image 1.0.0"))
	old, err := e.st.Repository(t.Context(), e.product)
	if err != nil {
		t.Fatal(err)
	}
	e.publish("1.1.0", "hw-a", []byte("image 1.1.0"))
	cur, _ := e.st.Repository(t.Context(), e.product)
	curTargetsVersion := targetsVersion(t, cur.Targets)

	// A root rotated by an attacker holding one of the two root keys: it trusts the attacker's
	// targets key, signed below the threshold.
	evil := repo.NewKey()
	root, err := metadata.Root().FromBytes(e.root)
	if err != nil {
		t.Fatal(err)
	}
	evilKey, _ := metadata.KeyFromPublicKey(evil.Public())
	for _, id := range root.Signed.Roles[metadata.TARGETS].KeyIDs {
		root.Signed.RevokeKey(id, metadata.TARGETS)
	}
	root.Signed.AddKey(evilKey, metadata.TARGETS)
	root.Signed.Version = 2
	root.ClearSignatures()
	signer, _ := signature.LoadED25519Signer(e.rootKeys[0])
	root.Sign(signer)
	evilRoot, _ := root.ToBytes(false)

	attacks := []struct {
		name, reason string
		tamper       func(path string, body []byte) []byte
		reroute      string
		clock        time.Duration // the device's clock ahead of the server's
		trustNewer   bool          // the device trusted the current timestamp before
	}{
		{name: "rollback", reason: agent.ReasonRollback, trustNewer: true, tamper: func(p string, b []byte) []byte {
			if strings.HasSuffix(p, "/timestamp.json") {
				return old.Timestamp
			}
			return b
		}},
		{name: "freeze", reason: agent.ReasonFreeze, clock: 3 * 24 * time.Hour},
		{name: "mix-and-match", reason: agent.ReasonMixAndMatch, tamper: func(p string, b []byte) []byte {
			if strings.HasSuffix(p, fmt.Sprintf("/%d.targets.json", curTargetsVersion)) {
				return old.Targets // validly signed, but not the version the snapshot names
			}
			return b
		}},
		{name: "endless data", reason: agent.ReasonEndlessData, tamper: func(p string, b []byte) []byte {
			if strings.Contains(p, "/targets/") {
				return append(b, bytes.Repeat([]byte{0}, 1<<16)...)
			}
			return b
		}},
		{name: "wrong hash", reason: agent.ReasonWrongHash, tamper: func(p string, b []byte) []byte {
			if strings.Contains(p, "/targets/") {
				b = bytes.Clone(b)
				b[0] ^= 0xff
			}
			return b
		}},
		{name: "arbitrary target", reason: agent.ReasonUnknownTarget, reroute: "hw-a/6.6.6/firmware.bin"},
		{name: "key compromised below threshold", reason: agent.ReasonSignature, tamper: func(p string, b []byte) []byte {
			if strings.HasSuffix(p, "/2.root.json") {
				return evilRoot
			}
			return b
		}},
	}

	m := &mirror{tamper: map[string]func(string, []byte) []byte{}, reroute: map[string]string{}}
	mirrorSrv := httptest.NewServer(m.handler(e.http.URL))
	t.Cleanup(mirrorSrv.Close)

	// One honest device per attack and as many more: the canary holds every device, so each
	// attacked device has an assignment; the gate is lenient enough not to halt on the attacks.
	n := 2 * len(attacks)
	in := struct {
		Devices []api.DeviceJSON `json:"devices"`
	}{}
	for i := range n {
		in.Devices = append(in.Devices, api.DeviceJSON{Name: fmt.Sprintf("dev-%02d", i), HardwareClass: "hw-a", Region: "eu", Version: "1.0.0"})
	}
	var devs []api.DeviceJSON
	if code := e.api("POST", fmt.Sprintf("/api/v1/products/%d/devices", e.product), in, &devs); code != http.StatusCreated {
		t.Fatalf("enroll: %d", code)
	}
	g := rollout.DefaultGate()
	g.P0, g.P1, g.Alpha, g.Beta, g.MaxFailures = 0.4, 0.6, 0.01, 0.01, 100
	plan := e.plan(delivery.PlanInput{Version: "1.1.0", Waves: []rollout.WaveSpec{{Count: n}}, Gate: &g, Deadlines: testDeadlines(), ExposureLimit: n, Seed: 3})

	for i, a := range attacks {
		d := devs[i]
		dir := filepath.Join(t.TempDir(), d.Name)
		if a.trustNewer {
			// The device had refreshed before the attack: it trusts the current timestamp.
			os.MkdirAll(filepath.Join(dir, "tuf"), 0o700)
			os.WriteFile(filepath.Join(dir, "tuf", "root.json"), e.root, 0o600)
			os.WriteFile(filepath.Join(dir, "tuf", "timestamp.json"), cur.Timestamp, 0o600)
		}
		m.mu.Lock()
		if a.tamper != nil {
			m.tamper[d.Name] = a.tamper
		}
		if a.reroute != "" {
			m.reroute[d.Token] = a.reroute
		}
		m.mu.Unlock()
		clock := func() time.Time { return e.clock.Now().Add(a.clock) }
		ag, err := agent.New(agent.Config{Server: mirrorSrv.URL, Token: d.Token, Dir: dir, Root: e.root, HardwareClass: "hw-a", Version: "1.0.0",
			HTTP: &http.Client{Transport: deviceHeader{name: d.Name, next: http.DefaultTransport}}, Now: clock})
		if err != nil {
			t.Fatal(err)
		}
		err = ag.Step(context.Background())
		var ref *agent.RefusedError
		if !errors.As(err, &ref) {
			t.Errorf("%s: agent accepted the update (err %v)", a.name, err)
			continue
		}
		if ref.Reason != a.reason {
			t.Errorf("%s: refused with %s (%v), want %s", a.name, ref.Reason, ref.Err, a.reason)
		}
		if v := ag.Running().Version; v != "1.0.0" {
			t.Errorf("%s: device runs %s", a.name, v)
		}
	}

	// Each refusal reached the server as the device's failure, with its reason, and the ledger.
	rows, err := e.st.RolloutDevices(t.Context(), plan.ID)
	if err != nil {
		t.Fatal(err)
	}
	byDevice := map[int64]string{}
	for _, r := range rows {
		byDevice[r.Device] = r.Reason + "/" + r.Outcome
	}
	_, contents := e.ledger("rollout/" + strconv.FormatInt(plan.ID, 10))
	ledgered := map[string]bool{}
	for _, c := range contents {
		var f struct {
			Reason string `json:"reason"`
			Device int64  `json:"device"`
		}
		if json.Unmarshal(c, &f) == nil && f.Reason != "" && f.Device != 0 {
			ledgered[fmt.Sprintf("%d/%s", f.Device, f.Reason)] = true
		}
	}
	for i, a := range attacks {
		id := devs[i].ID
		if got, want := byDevice[id], a.reason+"/"+rollout.ReasonFailed; got != want {
			t.Errorf("%s: server recorded %q, want %q", a.name, got, want)
		}
		if !ledgered[fmt.Sprintf("%d/%s", id, a.reason)] {
			t.Errorf("%s: refusal not in the ledger", a.name)
		}
	}
	// An honest device through the same mirror installs the update.
	d := devs[len(attacks)]
	ag, err := agent.New(agent.Config{Server: mirrorSrv.URL, Token: d.Token, Dir: t.TempDir(), Root: e.root, HardwareClass: "hw-a", Version: "1.0.0",
		HTTP: &http.Client{Transport: deviceHeader{name: d.Name, next: http.DefaultTransport}}, Now: e.clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	if err := ag.Step(t.Context()); err != nil {
		t.Fatal(err)
	}
	if v := ag.Running().Version; v != "1.1.0" {
		t.Errorf("honest device runs %s", v)
	}
}
