package server

import (
	"context"
	"sync"

	"github.com/siegel-oss/siegel/internal/vulndb"
)

// sharedVulnDB is the server's handle on a vulnerability database in PostgreSQL, opened on first
// use and kept: every page states what the database holds, and a new connection per page would
// cost more than the page's queries. A SQLite file is opened per use instead, which costs a file
// open and keeps no file of a replaced database (a bundle import renames over it) open.
type sharedVulnDB struct {
	mu sync.Mutex
	db *vulndb.DB
}

// openVulnDB opens the vulnerability database for reading what it holds (Holdings, Status, not
// lookups: those need a read snapshot of their own); close releases it. Without a database it
// returns vulndb.ErrNoDatabase.
func (s *Server) openVulnDB(ctx context.Context) (db *vulndb.DB, close func(), err error) {
	if !vulndb.IsPostgres(s.cfg.VulnDB) {
		db, err := vulndb.Open(ctx, s.cfg.VulnDB, false)
		if err != nil {
			return nil, nil, err
		}
		return db, func() { db.Close() }, nil
	}
	s.vulnDB.mu.Lock()
	defer s.vulnDB.mu.Unlock()
	if s.vulnDB.db == nil {
		if s.vulnDB.db, err = vulndb.Open(ctx, s.cfg.VulnDB, false); err != nil {
			return nil, nil, err
		}
	}
	return s.vulnDB.db, func() {}, nil
}
