package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// Rollout is a staged rollout as stored: its plan and decision state are JSON the rollout
// package reads.
type Rollout struct {
	ID           int64
	Product      int64
	Organization int64
	Kind         string
	Parent       int64
	Version      string
	Status       string
	Reason       string
	Plan         []byte
	State        []byte
	CreatedBy    string
	CreatedAt    time.Time
	UpdatedAt    time.Time
}

// RolloutDevice is one device's place in a rollout.
type RolloutDevice struct {
	Device          int64
	HardwareClass   string
	Region          string
	Position        int
	Target          string
	Version         string // the version it must boot
	Previous        string // the version it ran when planned
	Wave            int    // -1 until released
	AssignedAt      time.Time
	Deadline        time.Time
	Event           string
	ReportedVersion string
	Reason          string
	Outcome         string // "" while open
	Success         bool
	Observed        int // the order in which the gate counted the outcome (0: not yet)
}

// NewRollout is a rollout to create: its row and every device of its plan, in release order
// (Devices[i] has position i).
type NewRollout struct {
	Product   int64
	Kind      string
	Parent    int64
	Version   string
	CreatedBy string
	Devices   []RolloutDevice
	// Start builds the plan and state of the rollout once its id is known.
	Start func(id int64) (*RolloutChange, error)
}

// Released is a range of positions [From, To) released into wave Wave at At.
type Released struct {
	Wave     int
	From, To int
	At       time.Time
	Deadline func(hardwareClass string, assigned time.Time) time.Time
}

// Judged is the outcome of one device.
type Judged struct {
	Device  int64
	Outcome string
	Success bool
	Seq     int // the order in which the gate counted it
}

// RolloutChange is what a decision writes, in one transaction.
type RolloutChange struct {
	Plan           []byte // set on creation only
	State          []byte
	Status, Reason string
	Releases       []Released
	Judged         []Judged
	Ledger         []LedgerItem
	Repo           *RepoChange // e.g. the signed rollback metadata
	Then           *NewRollout // e.g. the rollback rollout
	Notify         []RolloutEvent
}

// Rollout event kinds.
const (
	EventRolloutHalted   = "rollout.halted"   // a gate, a pre-flight check or a person halted a rollout
	EventRolloutRollback = "rollout.rollback" // a halted rollout's devices are sent back to the previous image
)

// RolloutEvent is a notification to queue to the organization's channels.
type RolloutEvent struct {
	Kind  string // "rollout.halted", "rollout.rollback"
	Event Event
}

const rolloutColumns = `r.id, r.product, p.organization, r.kind, COALESCE(r.parent, 0), r.version, r.status, r.reason, r.plan, r.state, r.created_by, r.created_at, r.updated_at`

func scanRollout(sc interface{ Scan(...any) error }) (*Rollout, error) {
	r := &Rollout{}
	var plan, state string
	if err := sc.Scan(&r.ID, &r.Product, &r.Organization, &r.Kind, &r.Parent, &r.Version, &r.Status, &r.Reason, &plan, &state, &r.CreatedBy, &r.CreatedAt, &r.UpdatedAt); err != nil {
		return nil, mapError(err)
	}
	r.Plan, r.State = []byte(plan), []byte(state)
	r.CreatedAt, r.UpdatedAt = r.CreatedAt.UTC(), r.UpdatedAt.UTC()
	return r, nil
}

// CreateRollout creates a rollout and applies its start (plan record, canary release) in one
// transaction.
func (s *DB) CreateRollout(ctx context.Context, org int64, nr NewRollout) (*Rollout, error) {
	var id int64
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		if err := s.ownsProduct(ctx, tx, org, nr.Product); err != nil {
			return err
		}
		var err error
		id, err = s.insertRollout(ctx, tx, org, nr)
		return err
	})
	if err != nil {
		return nil, err
	}
	return s.RolloutByID(ctx, id)
}

func (s *DB) insertRollout(ctx context.Context, tx *sql.Tx, org int64, nr NewRollout) (int64, error) {
	var parent any
	if nr.Parent != 0 {
		parent = nr.Parent
	}
	now := s.now()
	var id int64
	if err := tx.QueryRowContext(ctx, s.rebind(`INSERT INTO rollout (product, kind, parent, version, status, plan, state, created_by, created_at, updated_at)
		VALUES (?, ?, ?, ?, 'running', '{}', '{}', ?, ?, ?) RETURNING id`), nr.Product, nr.Kind, parent, nr.Version, nr.CreatedBy, now, now).Scan(&id); err != nil {
		return 0, err
	}
	st, err := tx.PrepareContext(ctx, s.rebind(`INSERT INTO rollout_device (rollout, device, position, target, version, previous) VALUES (?, ?, ?, ?, ?, ?)`))
	if err != nil {
		return 0, err
	}
	defer st.Close()
	for i, d := range nr.Devices {
		if _, err := st.ExecContext(ctx, id, d.Device, i, d.Target, d.Version, d.Previous); err != nil {
			return 0, fmt.Errorf("rollout device %d: %w", d.Device, err)
		}
	}
	ch, err := nr.Start(id)
	if err != nil {
		return 0, err
	}
	if _, err := tx.ExecContext(ctx, s.rebind(`UPDATE rollout SET plan = ? WHERE id = ?`), string(ch.Plan), id); err != nil {
		return 0, err
	}
	return id, s.applyRolloutChange(ctx, tx, org, id, nr.Product, ch)
}

// RolloutTx reads, inside ChangeRollout's transaction, what a decision needs.
type RolloutTx struct {
	s  *DB
	tx *sql.Tx
	id int64
}

const rolloutDeviceColumns = `rd.device, d.hardware_class, d.region, rd.position, rd.target, rd.version, rd.previous, COALESCE(rd.wave, -1), rd.assigned_at, rd.deadline, rd.event, rd.reported_version, rd.reason, COALESCE(rd.outcome, ''), COALESCE(rd.success, FALSE), COALESCE(rd.observed, 0)`

func scanRolloutDevice(sc interface{ Scan(...any) error }) (*RolloutDevice, error) {
	d := &RolloutDevice{}
	var assigned, deadline sql.NullTime
	if err := sc.Scan(&d.Device, &d.HardwareClass, &d.Region, &d.Position, &d.Target, &d.Version, &d.Previous, &d.Wave, &assigned, &deadline, &d.Event, &d.ReportedVersion, &d.Reason, &d.Outcome, &d.Success, &d.Observed); err != nil {
		return nil, mapError(err)
	}
	if assigned.Valid {
		d.AssignedAt = assigned.Time.UTC()
	}
	if deadline.Valid {
		d.Deadline = deadline.Time.UTC()
	}
	return d, nil
}

func (t *RolloutTx) devices(ctx context.Context, where string, args ...any) ([]RolloutDevice, error) {
	return rolloutDevices(ctx, t.s, t.tx, t.id, where, args...)
}

func rolloutDevices(ctx context.Context, s *DB, q queryer, id int64, where string, args ...any) ([]RolloutDevice, error) {
	rows, err := q.QueryContext(ctx, s.rebind(`SELECT `+rolloutDeviceColumns+` FROM rollout_device rd JOIN device d ON d.id = rd.device WHERE rd.rollout = ? `+where+` ORDER BY rd.position`), append([]any{id}, args...)...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []RolloutDevice
	for rows.Next() {
		d, err := scanRolloutDevice(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, *d)
	}
	return out, rows.Err()
}

// Device returns a device's row in the rollout.
func (t *RolloutTx) Device(ctx context.Context, device int64) (*RolloutDevice, error) {
	ds, err := t.devices(ctx, `AND rd.device = ?`, device)
	if err != nil {
		return nil, err
	}
	if len(ds) == 0 {
		return nil, ErrNotFound
	}
	return &ds[0], nil
}

// Overdue returns the released devices without an outcome whose deadline is before now.
func (t *RolloutTx) Overdue(ctx context.Context, now time.Time) ([]RolloutDevice, error) {
	return t.devices(ctx, `AND rd.outcome IS NULL AND rd.deadline IS NOT NULL AND rd.deadline < ?`, now.UTC())
}

// Exposed returns the released devices that reported at least a download: those that may run
// the update.
func (t *RolloutTx) Exposed(ctx context.Context) ([]RolloutDevice, error) {
	return t.devices(ctx, `AND rd.assigned_at IS NOT NULL AND rd.event <> ''`)
}

// Repository returns the rollout's product's repository, locked for change.
func (t *RolloutTx) Repository(ctx context.Context, product int64) (RepoFiles, error) {
	return t.s.repoFiles(ctx, t.tx, product, true)
}

// Report records a device's report on its assignment (the event, the version it runs, the
// reason given) without judging it; the device's installed version follows a boot report.
func (t *RolloutTx) Report(ctx context.Context, device int64, event, version, reason string, at time.Time) error {
	_, err := t.tx.ExecContext(ctx, t.s.rebind(`UPDATE rollout_device SET event = ?, reported_version = ?, reason = ?, updated_at = ? WHERE rollout = ? AND device = ?`),
		event, version, reason, at.UTC(), t.id, device)
	if err != nil {
		return err
	}
	if event == "booted" && version != "" {
		_, err = t.tx.ExecContext(ctx, t.s.rebind(`UPDATE device SET version = ?, last_seen = ? WHERE id = ?`), version, at.UTC(), device)
	}
	return err
}

// ChangeRollout loads a rollout (locked on PostgreSQL), lets decide read what it needs and
// applies the change it returns, all in one transaction: the decision, its ledger records and its
// notifications commit together or not at all. A nil change writes nothing.
func (s *DB) ChangeRollout(ctx context.Context, id int64, decide func(*Rollout, *RolloutTx) (*RolloutChange, error)) error {
	return s.inTx(ctx, func(tx *sql.Tx) error {
		q := `SELECT ` + rolloutColumns + ` FROM rollout r JOIN product p ON p.id = r.product WHERE r.id = ?`
		if s.dialect == Postgres {
			q += ` FOR UPDATE OF r`
		}
		r, err := scanRollout(tx.QueryRowContext(ctx, s.rebind(q), id))
		if err != nil {
			return fmt.Errorf("rollout %d: %w", id, err)
		}
		ch, err := decide(r, &RolloutTx{s: s, tx: tx, id: id})
		if err != nil || ch == nil {
			return err
		}
		return s.applyRolloutChange(ctx, tx, r.Organization, id, r.Product, ch)
	})
}

func (s *DB) applyRolloutChange(ctx context.Context, tx *sql.Tx, org, id, product int64, ch *RolloutChange) error {
	now := s.now()
	if ch.State != nil {
		if _, err := tx.ExecContext(ctx, s.rebind(`UPDATE rollout SET state = ?, status = ?, reason = ?, updated_at = ? WHERE id = ?`), string(ch.State), ch.Status, ch.Reason, now, id); err != nil {
			return err
		}
	}
	for _, j := range ch.Judged {
		if _, err := tx.ExecContext(ctx, s.rebind(`UPDATE rollout_device SET outcome = ?, success = ?, observed = ?, updated_at = ? WHERE rollout = ? AND device = ? AND outcome IS NULL`), j.Outcome, j.Success, j.Seq, now, id, j.Device); err != nil {
			return err
		}
	}
	for _, rel := range ch.Releases {
		ds, err := rolloutDevices(ctx, s, tx, id, `AND rd.position >= ? AND rd.position < ? AND rd.assigned_at IS NULL`, rel.From, rel.To)
		if err != nil {
			return err
		}
		st, err := tx.PrepareContext(ctx, s.rebind(`UPDATE rollout_device SET wave = ?, assigned_at = ?, deadline = ? WHERE rollout = ? AND device = ?`))
		if err != nil {
			return err
		}
		for _, d := range ds {
			if _, err := st.ExecContext(ctx, rel.Wave, rel.At.UTC(), rel.Deadline(d.HardwareClass, rel.At).UTC(), id, d.Device); err != nil {
				st.Close()
				return err
			}
		}
		st.Close()
	}
	if ch.Repo != nil {
		if err := s.applyRepoChange(ctx, tx, org, product, RepoChange{Files: ch.Repo.Files, Blob: ch.Repo.Blob}); err != nil {
			return err
		}
	}
	if len(ch.Ledger) > 0 {
		w, err := s.ledgerWriter(ctx, tx)
		if err != nil {
			return err
		}
		for _, it := range ch.Ledger {
			if err := w.append(ctx, org, it.Type, it.Subject, it.Content); err != nil {
				w.close()
				return err
			}
		}
		err = w.finish(ctx)
		w.close()
		if err != nil {
			return err
		}
	}
	for _, n := range ch.Notify {
		chans, err := scanChannels(tx.QueryContext(ctx, s.rebind(`SELECT `+channelColumns+` FROM notification_channel c WHERE c.organization = ? AND c.removed_at IS NULL ORDER BY c.id`), org))
		if err != nil {
			return err
		}
		for _, c := range chans {
			if c.receives(n.Kind, product) {
				if err := s.queueNotification(ctx, tx, c.ID, n.Kind, n.Event); err != nil {
					return err
				}
			}
		}
	}
	if ch.Then != nil {
		if _, err := s.insertRollout(ctx, tx, org, *ch.Then); err != nil {
			return err
		}
	}
	return nil
}

// RolloutByID returns a rollout.
func (s *DB) RolloutByID(ctx context.Context, id int64) (*Rollout, error) {
	r, err := scanRollout(s.sql.QueryRowContext(ctx, s.rebind(`SELECT `+rolloutColumns+` FROM rollout r JOIN product p ON p.id = r.product WHERE r.id = ?`), id))
	if err != nil {
		return nil, fmt.Errorf("rollout %d: %w", id, err)
	}
	return r, nil
}

// Rollouts lists the rollouts of a product (0: of every product of the organization), newest
// first.
func (s *DB) Rollouts(ctx context.Context, org, product int64) ([]Rollout, error) {
	rows, err := s.sql.QueryContext(ctx, s.rebind(`SELECT `+rolloutColumns+` FROM rollout r JOIN product p ON p.id = r.product
		WHERE p.organization = ? AND (? = 0 OR r.product = ?) ORDER BY r.id DESC`), org, product, product)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Rollout
	for rows.Next() {
		r, err := scanRollout(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, *r)
	}
	return out, rows.Err()
}

// RolloutDevices returns every device row of a rollout in release order.
func (s *DB) RolloutDevices(ctx context.Context, id int64) ([]RolloutDevice, error) {
	return rolloutDevices(ctx, s, s.sql, id, "")
}

// OverdueRollouts returns the rollouts with a released device past its deadline and without an
// outcome.
func (s *DB) OverdueRollouts(ctx context.Context, now time.Time) ([]int64, error) {
	return scanIDs(s.sql.QueryContext(ctx, s.rebind(`SELECT DISTINCT rollout FROM rollout_device WHERE outcome IS NULL AND deadline < ?`), now.UTC()))
}

// UnrolledBack returns the halted update rollouts that have no rollback yet (one whose rollback
// could not be signed when it halted, for want of the targets key).
func (s *DB) UnrolledBack(ctx context.Context) ([]int64, error) {
	return scanIDs(s.sql.QueryContext(ctx, `SELECT r.id FROM rollout r WHERE r.kind = 'update' AND r.status = 'halted'
		AND NOT EXISTS (SELECT 1 FROM rollout c WHERE c.parent = r.id)
		AND EXISTS (SELECT 1 FROM rollout_device rd WHERE rd.rollout = r.id AND rd.assigned_at IS NOT NULL AND rd.event <> '') ORDER BY r.id`))
}

// RepositoryProducts lists the products that have an update repository.
func (s *DB) RepositoryProducts(ctx context.Context) ([]int64, error) {
	return scanIDs(s.sql.QueryContext(ctx, `SELECT product FROM tuf_repository ORDER BY product`))
}

// RefreshRepository applies fn's change to a repository when fn returns one (the timestamp
// and snapshot re-signed before they expire), in one transaction.
func (s *DB) RefreshRepository(ctx context.Context, product int64, fn func(RepoFiles) (*RepoChange, error)) error {
	return s.inTx(ctx, func(tx *sql.Tx) error {
		var org int64
		if err := tx.QueryRowContext(ctx, s.rebind(`SELECT organization FROM product WHERE id = ?`), product).Scan(&org); err != nil {
			return err
		}
		cur, err := s.repoFiles(ctx, tx, product, true)
		if err != nil {
			return err
		}
		ch, err := fn(cur)
		if err != nil || ch == nil {
			return err
		}
		return s.applyRepoChange(ctx, tx, org, product, *ch)
	})
}

// scanIDs reads a column of ids.
func scanIDs(rows *sql.Rows, err error) ([]int64, error) {
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}
