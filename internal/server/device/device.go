// Package device is the device side of the server: the endpoints a device's update agent calls
// with its own device token (not an API token) — its assignment, its reports and heartbeats —
// and the update repository (TUF metadata and targets) it downloads from.
package device

import (
	"context"
	"encoding/hex"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/siegel-oss/siegel/internal/rollout/delivery"
	"github.com/siegel-oss/siegel/internal/server/httpjson"
	"github.com/siegel-oss/siegel/internal/store"
)

// Config is what the device side needs.
type Config struct {
	Store    *store.DB
	Delivery *delivery.Service // judges reports against the rollouts' gates
	Now      func() time.Time
	// Fail answers an error that is not the device's own: the server's mapping (404, 409, or
	// 500 without internal detail, logged).
	Fail func(http.ResponseWriter, *http.Request, error)
}

// API serves devices. It keeps a short-lived cache of device tokens and the heartbeats not yet
// written, which FlushHeartbeats writes in one transaction.
type API struct {
	cfg     Config
	mu      sync.Mutex
	tokens  map[string]cachedDevice
	seen    map[int64]time.Time
	flushMu sync.Mutex
}

type cachedDevice struct {
	dev *store.Device
	at  time.Time
}

// tokenTTL is how long an authenticated device token is trusted without asking the store.
const tokenTTL = 30 * time.Second

// maxCachedTokens bounds the token cache; past it the cache starts again empty.
const maxCachedTokens = 100_000

// New returns the device side.
func New(cfg Config) *API {
	return &API{cfg: cfg, tokens: map[string]cachedDevice{}, seen: map[int64]time.Time{}}
}

// Route is one endpoint of the device side.
type Route struct {
	Method, Path string
	Handler      http.HandlerFunc
}

// Routes are the device side's endpoints.
func (a *API) Routes() []Route {
	return []Route{
		{"GET", "/api/v1/device/assignment", a.authenticated(a.deviceAssignment)},
		{"POST", "/api/v1/device/reports", a.authenticated(a.deviceReport)},
		{"POST", "/api/v1/device/heartbeat", a.authenticated(a.deviceHeartbeat)},
		{"GET", "/tuf/{product}/metadata/{name}", a.tufMetadata},
		{"GET", "/tuf/{product}/targets/{class}/{version}/{file}", a.tufTarget},
	}
}

// authenticated wraps a device endpoint: "Authorization: Bearer DEVICE_TOKEN". Every request
// counts as the device's heartbeat.
func (a *API) authenticated(h func(http.ResponseWriter, *http.Request, *store.Device)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		secret, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if !ok || secret == "" {
			w.Header().Set("WWW-Authenticate", `Bearer realm="siegel-device"`)
			httpjson.Error(w, http.StatusUnauthorized, "missing device token")
			return
		}
		now := a.cfg.Now()
		a.mu.Lock()
		c, hit := a.tokens[secret]
		a.mu.Unlock()
		if !hit || now.Sub(c.at) > tokenTTL || now.Before(c.at) {
			dev, err := a.cfg.Store.DeviceByToken(r.Context(), secret)
			if errors.Is(err, store.ErrUnauthorizedDevice) {
				httpjson.Error(w, http.StatusUnauthorized, "invalid device token")
				return
			}
			if err != nil {
				a.cfg.Fail(w, r, err)
				return
			}
			c = cachedDevice{dev: dev, at: now}
			a.mu.Lock()
			if len(a.tokens) > maxCachedTokens {
				clear(a.tokens)
			}
			a.tokens[secret] = c
			a.mu.Unlock()
		}
		a.mu.Lock()
		a.seen[c.dev.ID] = now
		a.mu.Unlock()
		h(w, r, c.dev)
	}
}

type assignmentJSON struct {
	Rollout    int64     `json:"rollout"`
	Target     string    `json:"target"`
	Version    string    `json:"version"`
	Repository string    `json:"repository"`
	Deadline   time.Time `json:"deadline"`
}

// deviceAssignment answers a poll: the open assignment, or 204. It reads one indexed row and writes
// nothing (the heartbeat it implies is batched).
func (a *API) deviceAssignment(w http.ResponseWriter, r *http.Request, dev *store.Device) {
	as, err := a.cfg.Store.DeviceAssignment(r.Context(), dev.ID)
	if errors.Is(err, store.ErrNotFound) {
		w.WriteHeader(http.StatusNoContent)
		return
	}
	if err != nil {
		a.cfg.Fail(w, r, err)
		return
	}
	httpjson.Write(w, http.StatusOK, assignmentJSON{Rollout: as.Rollout, Target: as.Target, Version: as.Version, Deadline: as.Deadline,
		Repository: "/tuf/" + strconv.FormatInt(as.Product, 10)})
}

func (a *API) deviceHeartbeat(w http.ResponseWriter, r *http.Request, dev *store.Device) {
	w.WriteHeader(http.StatusNoContent)
}

func (a *API) deviceReport(w http.ResponseWriter, r *http.Request, dev *store.Device) {
	var rep delivery.Report
	if !httpjson.Decode(w, r, &rep) {
		return
	}
	if err := a.cfg.Delivery.Report(r.Context(), dev, rep); err != nil {
		RolloutError(w, r, err, a.cfg.Fail)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// RolloutError answers an error of the rollout service: the caller's input 400, no targets key 503,
// anything else through fail.
func RolloutError(w http.ResponseWriter, r *http.Request, err error, fail func(http.ResponseWriter, *http.Request, error)) {
	switch {
	case errors.Is(err, delivery.ErrInput):
		httpjson.Error(w, http.StatusBadRequest, err.Error())
	case errors.Is(err, delivery.ErrNoTargetsKey):
		httpjson.Error(w, http.StatusServiceUnavailable, err.Error())
	default:
		fail(w, r, err)
	}
}

// FlushHeartbeats writes the heartbeats gathered since the last flush, in one transaction.
func (a *API) FlushHeartbeats(ctx context.Context) error {
	a.flushMu.Lock()
	defer a.flushMu.Unlock()
	a.mu.Lock()
	seen := a.seen
	a.seen = map[int64]time.Time{}
	a.mu.Unlock()
	return a.cfg.Store.TouchDevices(ctx, seen)
}

// tufMetadata serves a metadata file of a product's repository.
func (a *API) tufMetadata(w http.ResponseWriter, r *http.Request) {
	product, ok := httpjson.PathID(w, r, "product")
	if !ok {
		return
	}
	name := r.PathValue("name")
	if !strings.HasSuffix(name, ".json") || strings.Contains(name, "/") {
		httpjson.Error(w, http.StatusNotFound, "not found")
		return
	}
	body, err := a.cfg.Store.TUFFileBody(r.Context(), product, name)
	if err != nil {
		a.cfg.Fail(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-cache")
	w.Write(body)
}

// tufTarget serves an artifact by its consistent-snapshot name (CLASS/VERSION/HASH.NAME).
func (a *API) tufTarget(w http.ResponseWriter, r *http.Request) {
	product, ok := httpjson.PathID(w, r, "product")
	if !ok {
		return
	}
	base := r.PathValue("file")
	sum, _, ok := strings.Cut(base, ".")
	if b, err := hex.DecodeString(sum); !ok || err != nil || len(b) != 32 {
		httpjson.Error(w, http.StatusNotFound, "not found")
		return
	}
	body, err := a.cfg.Store.TUFBlobContent(r.Context(), product, sum)
	if err != nil {
		a.cfg.Fail(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
	w.Write(body)
}
