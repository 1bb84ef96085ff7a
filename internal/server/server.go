// Package server is Siegel's HTTP front door: the JSON API under /api/v1 (described by the
// OpenAPI document it serves), health, readiness and metrics. It holds no state another instance
// would need: everything lives in the store.
package server

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/siegel-oss/siegel/internal/health"
	"github.com/siegel-oss/siegel/internal/monitor"
	"github.com/siegel-oss/siegel/internal/notify"
	"github.com/siegel-oss/siegel/internal/server/app"
	"github.com/siegel-oss/siegel/internal/server/caller"
	"github.com/siegel-oss/siegel/internal/server/httpjson"
	"github.com/siegel-oss/siegel/internal/server/web"
	"github.com/siegel-oss/siegel/internal/store"
)

// Config is what a server needs.
type Config struct {
	Store *store.DB
	// VulnDB is the directory of the vulnerability database scans read ("" disables findings).
	VulnDB string
	Log    *slog.Logger
	Now    func() time.Time
	// MaxDBAge is how old a feed of the vulnerability database may be before pages call it
	// stale (default match.DefaultMaxAge).
	MaxDBAge time.Duration
	// MaxUpload bounds an SBOM upload, in bytes.
	MaxUpload int64
	// Monitor runs the background jobs (matching, updates, notifications); nil in tests that
	// run jobs themselves.
	Monitor *monitor.Monitor
	// Mailer sends invitation links by e-mail (the --smtp flags); nil shows them to the
	// administrator only.
	Mailer *notify.Mailer
	// BaseURL is the server's public address (https://...), for CSAF and links; "" derives it
	// from each request.
	BaseURL string
	// ProviderOrg names the organization whose advisories the CSAF provider directory
	// (/.well-known/csaf/) publishes; "" serves none.
	ProviderOrg string
	// LabelIssuer names the issuer in signed label statements ("" means "Siegel").
	LabelIssuer string
	// LabelGrace is how long a known-exploited vulnerability may stay unfixed before the labels
	// of the releases that carry it are suspended.
	LabelGrace time.Duration
	// LabelTermMonths is a new label's term in months (0: two years, label.TermMonths).
	LabelTermMonths int
	// InitialPasswordFile is the file the first run keeps the administrator's password in; the
	// first successful login removes it ("" when there is none).
	InitialPasswordFile string
	// Witnesses are the verifier keys of the witnesses whose checkpoint cosignatures the server
	// accepts (POST /ledger/cosignature) and serves with its checkpoints.
	Witnesses []string
	// WitnessKey is the private witness key (from 'siegel ledger witness-key') with which the
	// authorities of this server cosign the manufacturers' ledger checkpoints they witness
	// (authority_witness.go); "" when this server witnesses no log.
	WitnessKey string
	// AuthorityPush is the market surveillance authority whose server witnesses this server's
	// ledger: its checkpoints are pushed there and the cosignatures kept (authority_push.go), and the
	// records of the products registered with it (authority_records_push.go).
	AuthorityPush AuthorityPush

	// Connection limits (limits.go); zero means the default.
	ReadHeaderTimeout, ReadTimeout, WriteTimeout, IdleTimeout time.Duration
	// UploadTimeout replaces the read and write limits of an authenticated upload.
	UploadTimeout time.Duration
	// MaxUploads bounds the uploads handled at once; more are answered 503.
	MaxUploads int
	// MaxUnpack bounds what one upload (a source archive, a firmware image) unpacks to in
	// memory; with MaxUpload it is the memory budget of one upload request.
	MaxUnpack int64
	// TrustedProxies are the addresses whose X-Forwarded-For and Forwarded headers name the
	// client (login throttling); other peers are the client themselves.
	TrustedProxies []netip.Prefix
	// PublicMetrics serves /metrics without a token.
	PublicMetrics bool
	// WebhookAllow are the internal address ranges webhook channels may name (by default only
	// public addresses; the monitor delivers with the same allowance).
	WebhookAllow []netip.Prefix
	// InventoryK is the least number of manufacturers a component must be used by to appear in
	// the inventory of critical components (0: portfolio.DefaultK).
	InventoryK int
	// Rollout configures staged rollouts and the device API.
	Rollout RolloutConfig
	// FirmwareDir is where uploaded firmware images wait for their analysis ("" a directory of
	// the system's temporary directory); servers sharing a store must share it.
	FirmwareDir string
	// FirmwareMemory is the memory one firmware analysis may take: the image and what it
	// unpacks to (0: DefaultFirmwareMemory).
	FirmwareMemory int64
	// LabAllow are the lab network's ranges (CIDR) the server may run lab tests in (lab_jobs.go);
	// none: it runs none.
	LabAllow []string
	// OIDC configures single sign-on through an OpenID Connect provider (nil: none).
	OIDC *OIDCConfig
}

// Server serves the API.
type Server struct {
	*app.Deps // what the API and the pages share
	cfg       Config
	mux       *http.ServeMux
	ready     atomic.Bool
	metrics   *metrics
	pages     *web.Pages
	signers   signerCache
	uploads   chan struct{} // one token per upload in progress
	health    *health.Cache // component-health data beside the vulnerability database
	fleet     fleet         // devices and rollouts (device.go)

	fwDirOnce sync.Once // firmware directory (firmware_jobs.go)
	fwDir     string
	fwDirErr  error
	// providerID is the CSAF provider organization once found by its name: it stays the
	// provider when an administrator renames it.
	providerID atomic.Int64
	sso        ssoClient         // single sign-on (sso.go)
	onRead     func(step string) // tests only: called between the reads of a release's findings
}

// The JSON conventions of every endpoint (httpjson), under the names the handlers of this
// package use.
type apiError = httpjson.ErrorBody

var (
	writeJSON  = httpjson.Write
	writeError = httpjson.Error
	decodeJSON = httpjson.Decode
	pathID     = httpjson.PathID
)

// New returns a server; Handler serves it.
func New(cfg Config) *Server {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if cfg.MaxUpload <= 0 {
		cfg.MaxUpload = 256 << 20
	}
	limitDefaults(&cfg)
	s := &Server{cfg: cfg, mux: http.NewServeMux(), metrics: newMetrics()}
	s.Deps = &app.Deps{Store: cfg.Store, VulnDB: cfg.VulnDB, Log: cfg.Log, Now: cfg.Now, Monitor: cfg.Monitor}
	s.uploads = make(chan struct{}, cfg.MaxUploads)
	s.health = &health.Cache{Dir: cfg.VulnDB}
	s.newConformity()
	if cfg.Monitor != nil {
		cfg.Monitor.Handle(monitor.KindFirmware, s.runFirmwareJob)
		if len(cfg.LabAllow) > 0 {
			cfg.Monitor.Handle(monitor.KindLab, s.runLabJob)
		}
	}
	s.routes()
	s.webRoutes()
	s.ready.Store(true)
	return s
}

// SetReady marks the server ready or not (while it drains on shutdown).
func (s *Server) SetReady(ok bool) { s.ready.Store(ok) }

// Handler returns the HTTP handler with its middleware.
func (s *Server) Handler() http.Handler { return s.logAccess(s.metrics.wrap(s.mux)) }

// api wraps an API handler: it requires "Authorization: Bearer TOKEN" (401 without), and JSON for
// request bodies other than SBOM uploads.
func (s *Server) api(h func(http.ResponseWriter, *http.Request, caller.Principal)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		auth := r.Header.Get("Authorization")
		secret, ok := strings.CutPrefix(auth, "Bearer ")
		if !ok || secret == "" {
			w.Header().Set("WWW-Authenticate", `Bearer realm="siegel"`)
			writeError(w, http.StatusUnauthorized, "missing bearer token")
			return
		}
		tok, err := s.cfg.Store.Authenticate(r.Context(), strings.TrimSpace(secret))
		if errors.Is(err, store.ErrUnauthorized) {
			w.Header().Set("WWW-Authenticate", `Bearer realm="siegel", error="invalid_token"`)
			writeError(w, http.StatusUnauthorized, "invalid token")
			return
		}
		if err != nil {
			s.Fail(w, r, err)
			return
		}
		actor := fmt.Sprintf("token:%d:%s", tok.ID, tok.Name)
		app.NotePrincipal(r, actor)
		r = r.WithContext(store.WithActor(r.Context(), actor))
		h(w, r, caller.Principal{Token: tok})
	}
}
