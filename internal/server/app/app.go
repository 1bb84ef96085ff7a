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
	"os"
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

	vulnMu   sync.Mutex
	vulnDB   *vulndb.DB // the PostgreSQL vulnerability database once opened (OpenVulnDB)
	vulnFile *vulnFile  // the SQLite vulnerability database kept open (OpenVulnDB)
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
// The database is opened on first use and kept: every page states what it holds, and opening
// it per page would cost more than reading that (a SQLite file's open and schema check was a
// tenth of the release page's CPU). A SQLite file is kept while it is the file at the
// database's path: after a bundle import renamed another over it, or its removal, the next use
// opens the new one, and the replaced one is closed when its last use ends, so no replaced file
// stays open.
func (s *Deps) OpenVulnDB(ctx context.Context) (db *vulndb.DB, close func(), err error) {
	if !vulndb.IsPostgres(s.VulnDB) {
		return s.openVulnFile(ctx)
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

// vulnFile is a SQLite vulnerability database kept open by OpenVulnDB.
type vulnFile struct {
	db    *vulndb.DB
	file  os.FileInfo // the file at the database's path, looked at before it was opened
	users int         // uses not yet released
	stale bool        // no longer the file at the path: closed when its last use is released
}

// openVulnFile is OpenVulnDB for a SQLite file. The file at the path is looked at before it is
// opened: a file renamed over it in between is taken for a replacement at the next use, which
// opens it again, so a kept handle never outlives the file it reads by more than one use.
func (s *Deps) openVulnFile(ctx context.Context) (*vulndb.DB, func(), error) {
	fi, statErr := os.Stat(vulndb.File(s.VulnDB))
	s.vulnMu.Lock()
	defer s.vulnMu.Unlock()
	if f := s.vulnFile; f != nil && (statErr != nil || !os.SameFile(f.file, fi)) {
		f.retire()
		s.vulnFile = nil
	}
	if statErr != nil {
		// No file to keep: Open says why (or opens one that has just appeared, for this use).
		db, err := vulndb.Open(ctx, s.VulnDB, false)
		if err != nil {
			return nil, nil, err
		}
		return db, func() { db.Close() }, nil
	}
	if s.vulnFile == nil {
		db, err := vulndb.Open(ctx, s.VulnDB, false)
		if err != nil {
			return nil, nil, err
		}
		s.vulnFile = &vulnFile{db: db, file: fi}
	}
	f := s.vulnFile
	f.users++
	var once sync.Once
	return f.db, func() {
		once.Do(func() {
			s.vulnMu.Lock()
			defer s.vulnMu.Unlock()
			if f.users--; f.stale && f.users == 0 {
				f.db.Close()
			}
		})
	}, nil
}

// retire marks f as replaced and closes it unless it is in use. Called with vulnMu held.
func (f *vulnFile) retire() {
	f.stale = true
	if f.users == 0 {
		f.db.Close()
	}
}

// Close closes the vulnerability database OpenVulnDB keeps (a SQLite file in use is closed
// when its last use is released).
func (s *Deps) Close() error {
	s.vulnMu.Lock()
	defer s.vulnMu.Unlock()
	var err error
	if s.vulnDB != nil {
		err = s.vulnDB.Close()
		s.vulnDB = nil
	}
	if s.vulnFile != nil {
		s.vulnFile.retire()
		s.vulnFile = nil
	}
	return err
}
