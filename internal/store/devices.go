package store

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"path/filepath"
	"strings"
	"time"
)

// A TUF update repository of a product, as stored: its metadata files and artifacts. The root
// and targets keys are not stored; the online key (snapshot and timestamp) is.

// TUFFile is one metadata file of a repository.
type TUFFile struct {
	Name    string
	Role    string
	Version int64
	Body    []byte
}

// TUFBlob is an artifact's bytes (nil Content for one published by reference).
type TUFBlob struct {
	SHA256  string
	Length  int64
	Content []byte
}

// RepoFiles is a repository's current metadata and online key.
type RepoFiles struct {
	Root, Targets, Snapshot, Timestamp []byte
	OnlineKey                          string
	TargetsKeyID                       string
}

// RepoChange is what a change of a repository writes, in one transaction: new metadata files,
// an artifact, and ledger statements.
type RepoChange struct {
	Files  []TUFFile
	Blob   *TUFBlob
	Ledger []LedgerItem
}

// CreateRepository stores a new repository's first metadata and its online key.
func (s *DB) CreateRepository(ctx context.Context, org, product int64, onlineKey, targetsKeyID string, ch RepoChange) error {
	return s.inTx(ctx, func(tx *sql.Tx) error {
		if err := s.ownsProduct(ctx, tx, org, product); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, s.rebind(`INSERT INTO tuf_repository (product, online_key, targets_key_id, created_at) VALUES (?, ?, ?, ?)`),
			product, onlineKey, targetsKeyID, s.now()); err != nil {
			return err
		}
		return s.applyRepoChange(ctx, tx, org, product, ch)
	})
}

func (s *DB) ownsProduct(ctx context.Context, q queryer, org, product int64) error {
	var n int
	if err := q.QueryRowContext(ctx, s.rebind(`SELECT count(*) FROM product WHERE id = ? AND organization = ?`), product, org).Scan(&n); err != nil {
		return err
	}
	if n == 0 {
		return fmt.Errorf("product %d: %w", product, ErrNotFound)
	}
	return nil
}

type queryer interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

func (s *DB) applyRepoChange(ctx context.Context, tx *sql.Tx, org, product int64, ch RepoChange) error {
	for _, f := range ch.Files {
		if _, err := tx.ExecContext(ctx, s.rebind(`INSERT INTO tuf_file (product, name, role, version, body) VALUES (?, ?, ?, ?, ?)
			ON CONFLICT (product, name) DO UPDATE SET role = excluded.role, version = excluded.version, body = excluded.body`),
			product, f.Name, f.Role, f.Version, f.Body); err != nil {
			return err
		}
	}
	if b := ch.Blob; b != nil {
		if _, err := tx.ExecContext(ctx, s.rebind(`INSERT INTO tuf_blob (product, sha256, length, content) VALUES (?, ?, ?, ?) ON CONFLICT (product, sha256) DO NOTHING`),
			product, b.SHA256, b.Length, b.Content); err != nil {
			return err
		}
	}
	if len(ch.Ledger) == 0 {
		return nil
	}
	w, err := s.ledgerWriter(ctx, tx)
	if err != nil {
		return err
	}
	defer w.close()
	for _, it := range ch.Ledger {
		if err := w.append(ctx, org, it.Type, it.Subject, it.Content); err != nil {
			return err
		}
	}
	return w.finish(ctx)
}

// UpdateRepository reads a product's repository and applies the change fn makes of it, in one
// transaction (on PostgreSQL with the repository locked, so two publications cannot both build
// on the same targets version).
func (s *DB) UpdateRepository(ctx context.Context, org, product int64, fn func(RepoFiles) (RepoChange, error)) error {
	return s.inTx(ctx, func(tx *sql.Tx) error {
		if err := s.ownsProduct(ctx, tx, org, product); err != nil {
			return err
		}
		cur, err := s.repoFiles(ctx, tx, product, true)
		if err != nil {
			return err
		}
		ch, err := fn(cur)
		if err != nil {
			return err
		}
		return s.applyRepoChange(ctx, tx, org, product, ch)
	})
}

// Repository returns a product's current metadata, or ErrNotFound when it has no repository.
func (s *DB) Repository(ctx context.Context, product int64) (RepoFiles, error) {
	return s.repoFiles(ctx, s.sql, product, false)
}

func (s *DB) repoFiles(ctx context.Context, q queryer, product int64, lock bool) (RepoFiles, error) {
	var rf RepoFiles
	query := `SELECT online_key, targets_key_id FROM tuf_repository WHERE product = ?`
	if lock && s.dialect == Postgres {
		query += ` FOR UPDATE`
	}
	if err := q.QueryRowContext(ctx, s.rebind(query), product).Scan(&rf.OnlineKey, &rf.TargetsKeyID); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return rf, fmt.Errorf("product %d has no update repository (siegel rollout init): %w", product, ErrNotFound)
		}
		return rf, err
	}
	for role, dst := range map[string]*[]byte{"root": &rf.Root, "targets": &rf.Targets, "snapshot": &rf.Snapshot, "timestamp": &rf.Timestamp} {
		if err := q.QueryRowContext(ctx, s.rebind(`SELECT body FROM tuf_file WHERE product = ? AND role = ? ORDER BY version DESC LIMIT 1`), product, role).Scan(dst); err != nil {
			return rf, fmt.Errorf("repository of product %d: %s metadata: %w", product, role, mapError(err))
		}
	}
	return rf, nil
}

// TUFFileBody returns a metadata file of a product's repository by the name clients fetch.
func (s *DB) TUFFileBody(ctx context.Context, product int64, name string) ([]byte, error) {
	var body []byte
	err := s.sql.QueryRowContext(ctx, s.rebind(`SELECT body FROM tuf_file WHERE product = ? AND name = ?`), product, name).Scan(&body)
	return body, mapError(err)
}

// TUFBlobContent returns the bytes of an artifact by its SHA-256 (hex); ErrNotFound also for an
// artifact published by reference, whose bytes live elsewhere.
func (s *DB) TUFBlobContent(ctx context.Context, product int64, sha256 string) ([]byte, error) {
	var body []byte
	err := s.sql.QueryRowContext(ctx, s.rebind(`SELECT content FROM tuf_blob WHERE product = ? AND sha256 = ? AND content IS NOT NULL`), product, sha256).Scan(&body)
	return body, mapError(err)
}

// Device is a device of a product's fleet.
type Device struct {
	ID            int64
	Product       int64
	Organization  int64
	Name          string
	HardwareClass string
	Region        string
	Version       string
	LastSeen      time.Time
	CreatedAt     time.Time
}

// NewDevice is a device to enroll.
type NewDevice struct {
	Name, HardwareClass, Region, Version string
}

const deviceTokenPrefix = "sgd_"

// openReaders opens the pool of query-only connections to the SQLite database at path (WAL
// lets them read while the writer writes).
func (s *DB) openReaders(path string) error {
	dsn := "file:" + (&url.URL{Path: filepath.ToSlash(path)}).EscapedPath() +
		"?_pragma=busy_timeout(10000)&_pragma=query_only(1)&_pragma=mmap_size(1073741824)&_time_format=sqlite"
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		s.Close()
		return err
	}
	db.SetMaxOpenConns(4)
	db.SetMaxIdleConns(4)
	s.readers = db
	return nil
}

// reader is where hot read paths query: the read pool on SQLite, the one pool on PostgreSQL.
func (s *DB) reader() *sql.DB {
	if s.readers != nil {
		return s.readers
	}
	return s.sql
}

// AddDevices enrolls devices into a product's fleet and returns, in order, each one's token
// (only its hash is kept).
func (s *DB) AddDevices(ctx context.Context, org, product int64, ds []NewDevice) ([]Device, []string, error) {
	out := make([]Device, 0, len(ds))
	tokens := make([]string, 0, len(ds))
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		if err := s.ownsProduct(ctx, tx, org, product); err != nil {
			return err
		}
		st, err := tx.PrepareContext(ctx, s.rebind(`INSERT INTO device (product, name, token_hash, hardware_class, region, version, created_at) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id`))
		if err != nil {
			return err
		}
		defer st.Close()
		now := s.now()
		for _, d := range ds {
			if d.Name == "" || d.HardwareClass == "" || d.Version == "" || strings.ContainsAny(d.HardwareClass, "/\\") {
				return fmt.Errorf("device %q: a device needs a name, a hardware class without slashes and its installed version", d.Name)
			}
			var b [32]byte
			rand.Read(b[:])
			tok := deviceTokenPrefix + hex.EncodeToString(b[:])
			dev := Device{Product: product, Organization: org, Name: d.Name, HardwareClass: d.HardwareClass, Region: d.Region, Version: d.Version, CreatedAt: now}
			if err := st.QueryRowContext(ctx, product, d.Name, tokenHash(tok), d.HardwareClass, d.Region, d.Version, now).Scan(&dev.ID); err != nil {
				return fmt.Errorf("device %q: %w", d.Name, mapError(err))
			}
			out = append(out, dev)
			tokens = append(tokens, tok)
		}
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	return out, tokens, nil
}

const deviceColumns = `d.id, d.product, p.organization, d.name, d.hardware_class, d.region, d.version, d.last_seen, d.created_at`

func scanDevice(sc interface{ Scan(...any) error }) (*Device, error) {
	d := &Device{}
	var seen sql.NullTime
	if err := sc.Scan(&d.ID, &d.Product, &d.Organization, &d.Name, &d.HardwareClass, &d.Region, &d.Version, &seen, &d.CreatedAt); err != nil {
		return nil, err
	}
	if seen.Valid {
		d.LastSeen = seen.Time.UTC()
	}
	d.CreatedAt = d.CreatedAt.UTC()
	return d, nil
}

// ErrUnauthorizedDevice is returned for a device token that is not known.
var ErrUnauthorizedDevice = errors.New("unknown device token")

// DeviceByToken authenticates a device by its token.
func (s *DB) DeviceByToken(ctx context.Context, token string) (*Device, error) {
	if !strings.HasPrefix(token, deviceTokenPrefix) || len(token) > 128 {
		return nil, ErrUnauthorizedDevice
	}
	d, err := scanDevice(s.reader().QueryRowContext(ctx, s.rebind(`SELECT `+deviceColumns+` FROM device d JOIN product p ON p.id = d.product WHERE d.token_hash = ?`), tokenHash(token)))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrUnauthorizedDevice
	}
	return d, err
}

// Devices lists a product's fleet.
func (s *DB) Devices(ctx context.Context, product int64) ([]Device, error) {
	rows, err := s.sql.QueryContext(ctx, s.rebind(`SELECT `+deviceColumns+` FROM device d JOIN product p ON p.id = d.product WHERE d.product = ? ORDER BY d.id`), product)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Device
	for rows.Next() {
		d, err := scanDevice(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, *d)
	}
	return out, rows.Err()
}

// TouchDevices records when devices were last heard from, all in one transaction (heartbeats
// are batched by the caller, so a poll costs no write).
func (s *DB) TouchDevices(ctx context.Context, seen map[int64]time.Time) error {
	if len(seen) == 0 {
		return nil
	}
	return s.inTx(ctx, func(tx *sql.Tx) error {
		st, err := tx.PrepareContext(ctx, s.rebind(`UPDATE device SET last_seen = ? WHERE id = ? AND (last_seen IS NULL OR last_seen < ?)`))
		if err != nil {
			return err
		}
		defer st.Close()
		for id, at := range seen {
			if _, err := st.ExecContext(ctx, at.UTC(), id, at.UTC()); err != nil {
				return err
			}
		}
		return nil
	})
}

// Assignment is what a polling device is to install.
type Assignment struct {
	Rollout  int64
	Product  int64
	Target   string
	Version  string
	Deadline time.Time
	Event    string // the device's last report on it
}

// DeviceAssignment returns the open assignment of a device in a running or paused rollout (the
// newest, when a rollback follows an update), or ErrNotFound.
func (s *DB) DeviceAssignment(ctx context.Context, device int64) (*Assignment, error) {
	a := &Assignment{}
	err := s.reader().QueryRowContext(ctx, s.rebind(`SELECT rd.rollout, r.product, rd.target, rd.version, rd.deadline, rd.event FROM rollout_device rd JOIN rollout r ON r.id = rd.rollout
		WHERE rd.device = ? AND rd.assigned_at IS NOT NULL AND rd.outcome IS NULL AND r.status IN ('running', 'paused')
		ORDER BY rd.assigned_at DESC LIMIT 1`), device).Scan(&a.Rollout, &a.Product, &a.Target, &a.Version, &a.Deadline, &a.Event)
	if err != nil {
		return nil, mapError(err)
	}
	a.Deadline = a.Deadline.UTC()
	return a, nil
}
