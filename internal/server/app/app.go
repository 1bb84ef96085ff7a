// Package app is what the JSON API (package api) and the web pages (package web) share on the
// server's side: the dependencies every handler reaches (Deps: the store, the log, the clock, the
// monitor, the vulnerability database, the component-health data, the CSAF signer), the answer to a
// failure (Fail, InternalError), the per-request record the access log writes (request id,
// principal), and the operations and views both sides use: loading a release's findings and
// coverage, publishing advisories, tokens and organizations, VEX, labels and dossiers, the
// authority's records and views, firmware and lab jobs, the inventory, health and the queue.
package app

import (
	"context"
	"errors"
	"net/http"
	"sync"
	"sync/atomic"

	"github.com/siegel-oss/siegel/internal/conformity"
	"github.com/siegel-oss/siegel/internal/health"
	"github.com/siegel-oss/siegel/internal/server/httpjson"
	"github.com/siegel-oss/siegel/internal/store"
	"github.com/siegel-oss/siegel/internal/vulndb"
)

// Deps are the dependencies the handlers of the API and the pages share. The server fills them
// once at start-up; they do not change while it serves.
type Deps struct {
	// Config is the server's configuration; the store, log and clock are among it.
	Config
	// Conformity evaluates releases and keeps labels; nil when the requirement catalogs do not
	// load (ConformityOff).
	Conformity *conformity.Service

	// Health is the component-health data beside the vulnerability database.
	Health *health.Cache
	// Uploads holds one token per upload in progress (AcquireUpload).
	Uploads chan struct{}
	// OnRead, in tests only, is called between the reads of a release's findings.
	OnRead func(step string)

	signers signerCache // the CSAF provider's signing key once loaded
	// providerID is the CSAF provider organization once found by its name: it stays the
	// provider when an administrator renames it.
	providerID atomic.Int64

	fleet fleet // devices and rollouts (fleet.go)

	fwDirOnce sync.Once // firmware directory (firmware_jobs.go)
	fwDir     string
	fwDirErr  error

	vulnMu sync.Mutex
	vulnDB *vulndb.DB // the PostgreSQL vulnerability database once opened (OpenVulnDB)
}

// Fail maps an error to a status without leaking internals: store sentinels to 404 and 409,
// everything else to 500 (logged).
func (s *Deps) Fail(w http.ResponseWriter, r *http.Request, err error) {
	switch {
	case errors.Is(err, store.ErrNotFound):
		httpjson.Error(w, http.StatusNotFound, "not found")
	case errors.Is(err, store.ErrConflict):
		httpjson.Error(w, http.StatusConflict, "already exists")
	case errors.Is(err, context.Canceled):
		httpjson.Error(w, 499, "request cancelled")
	default:
		s.InternalError(w, r, err)
	}
}

// InternalError logs err with the request's id and answers 500 with a message that quotes the
// id but says nothing of the error itself: paths, SQL and library messages stay in the log.
func (s *Deps) InternalError(w http.ResponseWriter, r *http.Request, err error) {
	id := RequestID(r.Context())
	s.Log.Error("request failed", "method", r.Method, "route", r.Pattern, "request_id", id, "err", err)
	httpjson.Error(w, http.StatusInternalServerError, InternalErrorText(id))
}

// InternalErrorText is what a client is told of a failure on the server's side.
func InternalErrorText(id string) string {
	if id == "" {
		return "internal error; the server's log has the details"
	}
	return "internal error (request " + id + "); the server's log has the details under this id"
}

// Wake tells the monitor that work was queued.
func (s *Deps) Wake() {
	if s.Monitor != nil {
		s.Monitor.Wake()
	}
}

// OpenVulnDB opens the vulnerability database for reading what it holds (Holdings, Status, not
// lookups: those need a read snapshot of their own); close releases it. Without a database it
// returns vulndb.ErrNoDatabase.
//
// A database in PostgreSQL is opened on first use and kept: every page states what the database
// holds, and a new connection per page would cost more than the page's queries. A SQLite file is
// opened per use instead, which costs a file open and keeps no file of a replaced database (a
// bundle import renames over it) open.
func (s *Deps) OpenVulnDB(ctx context.Context) (db *vulndb.DB, close func(), err error) {
	if !vulndb.IsPostgres(s.VulnDB) {
		db, err := vulndb.Open(ctx, s.VulnDB, false)
		if err != nil {
			return nil, nil, err
		}
		return db, func() { db.Close() }, nil
	}
	s.vulnMu.Lock()
	defer s.vulnMu.Unlock()
	if s.vulnDB == nil {
		if s.vulnDB, err = vulndb.Open(ctx, s.VulnDB, false); err != nil {
			return nil, nil, err
		}
	}
	return s.vulnDB, func() {}, nil
}
