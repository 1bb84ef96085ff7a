package app

import (
	"crypto/ed25519"
	"log/slog"
	"net/http"
	"net/netip"
	"time"

	"github.com/siegel-oss/siegel/internal/monitor"
	"github.com/siegel-oss/siegel/internal/notify"
	"github.com/siegel-oss/siegel/internal/rollout/repo"
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
	// (package api, authority_witness.go); "" when this server witnesses no log.
	WitnessKey string
	// AuthorityPush is the market surveillance authority whose server witnesses this server's
	// ledger: its checkpoints are pushed there and the cosignatures kept (package server, authority_push.go), and the
	// records of the products registered with it (authority_records_push.go).
	AuthorityPush AuthorityPush

	// Connection limits (package server, limits.go); zero means the default.
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

// AuthorityPush names the market surveillance authority's server that witnesses this server's
// ledger: its base URL, a manufacturer token this server's organization holds there, and the
// authority's witness verifier key, with which every cosignature it returns is checked before
// it is kept.
type AuthorityPush struct {
	URL     string
	Token   string
	Witness string
	// Interval between pushes of the serve loop (RunAuthorityPush); 0: ten minutes.
	Interval time.Duration
	// Client sends the pushes; nil: a client with a 30 s timeout.
	Client *http.Client
}

// RolloutConfig configures staged rollouts.
type RolloutConfig struct {
	// TargetsKey signs targets metadata (publications and automatic rollbacks); nil disables
	// both (plans still run; a halt records its rollback as pending).
	TargetsKey ed25519.PrivateKey
	// Tick is how often passed deadlines are judged and heartbeats written (default 10 s; a
	// gate rejected by a deadline halts within a tick).
	Tick time.Duration
	// Expiry of the repository's metadata (default repo.DefaultExpiry).
	Expiry repo.Expiry
}

// OIDCConfig configures single sign-on through an OpenID Connect provider (authorization code
// flow with PKCE; the ID token's signature, issuer, audience, expiry and nonce are verified).
type OIDCConfig struct {
	Issuer, ClientID, ClientSecret string
	// AllowedDomains admit people whose verified e-mail address is in one of them, with
	// DefaultRole ("auditor" when empty).
	AllowedDomains []string
	DefaultRole    string
	// GroupRoles gives the members of a group (from the GroupsClaim claim, "groups" when empty)
	// a role; a person in several gets the strongest.
	GroupsClaim string
	GroupRoles  map[string]string
	// Organization names the organization new users join ("" for the first one).
	Organization string
	// HTTPClient talks to the provider (nil: a client with a 10-second timeout).
	HTTPClient *http.Client
}
