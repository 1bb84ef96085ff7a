package store

import (
	"cmp"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Finding is a vulnerability of a package in a release, as the last matching found it.
type Finding struct {
	ID            int64
	Release       int64
	Vulnerability string
	PURL          string
	Severity      string
	Score         float64
	Exploited     bool
	Data          []byte // the full finding, as JSON
	// Aliases are the other ids of the vulnerability (match.Finding's aliases), kept in a column
	// of their own; when nil, ApplyFindings takes them from Data.
	Aliases   []string
	FirstSeen time.Time
	UpdatedAt time.Time
	Resolved  bool // no longer matches
	// Passed to ApplyFindings, not stored as columns: the summary and the source that says the
	// vulnerability is exploited, for the reporting case an exploited finding opens.
	Title, Evidence string
}

// Change kinds, which are also the notification event kinds.
const (
	ChangeNew             = "finding.new"
	ChangeExploited       = "finding.exploited"
	ChangeSeverity        = "finding.severity_changed"
	ChangeResolved        = "finding.resolved"
	ChangeUpdated         = "finding.updated" // the finding's details changed (fixed versions, EPSS, ...)
	changeKindsNotifiable = ChangeNew + "," + ChangeExploited + "," + ChangeSeverity
)

// Other event kinds: reporting clocks and publications.
const (
	EventCaseDue           = "case.due"     // a reporting stage is due within hours
	EventCaseOverdue       = "case.overdue" // a reporting stage missed its deadline
	EventAdvisoryPublished = "advisory.published"
	EventSupportEnding     = "support.ending" // a release's support period ends within six months
	EventComponentEOL      = "component.eol"  // a component of a release reached its end of life
)

// EventKinds are the event kinds a notification channel can subscribe to.
var EventKinds = append(strings.Split(changeKindsNotifiable, ","), EventCaseDue, EventCaseOverdue, EventAdvisoryPublished, EventSupportEnding, EventComponentEOL, EventRolloutHalted, EventRolloutRollback)

// FindingChange is what a matching run changed about one finding.
type FindingChange struct {
	Kind             string
	Finding          Finding
	PreviousSeverity string
}

// Event is a notification to queue for a change: its id (unique per channel) and JSON payload.
type Event struct {
	ID      string
	Payload []byte
}

// NewEventID returns a fresh random event id.
func NewEventID() string {
	var b [12]byte
	rand.Read(b[:])
	return "evt_" + hex.EncodeToString(b[:])
}

// ApplyFindings records the outcome of matching the packages scope of a release (all of the
// release when scope is nil): fs are the findings of those packages. New findings are added,
// existing ones updated, those no longer found resolved. For each notifiable change, event is
// called and its result queued for every channel of the release's organization that subscribes
// to the change's kind, with a delivery job — all in one transaction, so a crash leaves either
// the old state or the new one with all its notifications. Applying the same outcome twice
// changes nothing and notifies nobody.
func (s *DB) ApplyFindings(ctx context.Context, release int64, scope map[string]bool, fs []Finding, event func(FindingChange) Event) ([]FindingChange, error) {
	var ev func(int64, FindingChange) Event
	if event != nil {
		ev = func(_ int64, c FindingChange) Event { return event(c) }
	}
	out, err := s.ApplyFindingsBatch(ctx, []Outcome{{Release: release, Scope: scope, Findings: fs}}, ev)
	if err != nil {
		return nil, err
	}
	return out[release], nil
}

// Outcome is what matching found for (part of) one release.
type Outcome struct {
	Release  int64
	Scope    map[string]bool // the purls matched; nil: the whole release
	Findings []Finding
	// Coverage is what the matching checked against what (match.Coverage as JSON), kept as the
	// release's coverage; nil leaves the one kept before.
	Coverage []byte
}

// ApplyFindingsBatch applies the outcomes of several releases in one transaction, as
// ApplyFindings does for one: re-matching after an update applies hundreds at a time.
func (s *DB) ApplyFindingsBatch(ctx context.Context, outcomes []Outcome, event func(release int64, c FindingChange) Event) (map[int64][]FindingChange, error) {
	out := map[int64][]FindingChange{}
	now := s.now()
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		clear(out)
		channels := map[int64][]Channel{} // by release's organization, read once per batch
		st, err := s.prepareFindingStmts(ctx, tx)
		if err != nil {
			return err
		}
		defer st.close()
		rels := make([]int64, len(outcomes))
		for i, o := range outcomes {
			rels[i] = o.Release
		}
		if err := s.lockProducts(ctx, tx, rels); err != nil {
			return err
		}
		var summarized, covered []int64
		for _, o := range outcomes {
			if o.Coverage != nil {
				if err := s.keepCoverage(ctx, tx, o.Release, o.Coverage, now); err != nil {
					return fmt.Errorf("release %d: coverage: %w", o.Release, err)
				}
				covered = append(covered, o.Release)
			}
			changes, err := s.applyFindings(ctx, tx, st, o, now)
			if err != nil {
				return fmt.Errorf("release %d: %w", o.Release, err)
			}
			if len(changes) == 0 {
				continue
			}
			out[o.Release] = changes
			if err := s.afterChanges(ctx, tx, o.Release, changes, now, channels, event); err != nil {
				return fmt.Errorf("release %d: %w", o.Release, err)
			}
			summarized = append(summarized, o.Release)
		}
		if err := s.summarizeProducts(ctx, tx, summarized); err != nil {
			return err
		}
		products, err := s.productsOf(ctx, tx, covered)
		if err != nil {
			return err
		}
		return s.recountCoverage(ctx, tx, products)
	})
	if err != nil {
		return nil, fmt.Errorf("record findings: %w", err)
	}
	return out, nil
}

// applyFindings writes one outcome and returns the changes. Findings whose content did not change
// are not written again.
func (s *DB) applyFindings(ctx context.Context, tx *sql.Tx, st *findingStmts, o Outcome, now time.Time) ([]FindingChange, error) {
	var changes []FindingChange
	type key struct{ vuln, purl string }
	old := map[key]Finding{}
	var rows *sql.Rows
	var err error
	if o.Scope == nil {
		rows, err = st.load.QueryContext(ctx, o.Release)
	} else {
		// Only the findings of the packages matched again: after an update that is a few per
		// release, and reading all of them (with their data) would dominate.
		args := make([]any, 0, len(o.Scope)+1)
		args = append(args, o.Release)
		for purl := range o.Scope {
			args = append(args, purl)
		}
		if len(o.Scope) == 0 {
			return nil, nil
		}
		rows, err = tx.QueryContext(ctx, s.rebind(`SELECT id, vulnerability, purl, severity, score, exploited, resolved_at IS NOT NULL, first_seen, data
			FROM finding WHERE release = ? AND purl IN (`+strings.TrimSuffix(strings.Repeat("?,", len(o.Scope)), ",")+`)`), args...)
	}
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var f Finding
		var data string
		if err := rows.Scan(&f.ID, &f.Vulnerability, &f.PURL, &f.Severity, &f.Score, &f.Exploited, &f.Resolved, &f.FirstSeen, &data); err != nil {
			rows.Close()
			return nil, err
		}
		if o.Scope == nil || o.Scope[f.PURL] {
			f.Data = []byte(data)
			old[key{f.Vulnerability, f.PURL}] = f
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	seen := map[key]bool{}
	for _, f := range o.Findings {
		k := key{f.Vulnerability, f.PURL}
		if seen[k] {
			continue
		}
		seen[k] = true
		f.Release, f.UpdatedAt = o.Release, now
		prev, ok := old[k]
		if !ok {
			f.FirstSeen = now
			if err := st.insert.QueryRowContext(ctx, o.Release, f.Vulnerability, f.PURL, f.Severity, f.Score, f.Exploited, string(f.Data), aliasesColumn(f), now, now).Scan(&f.ID); err != nil {
				return nil, err
			}
			changes = append(changes, FindingChange{Kind: newKind(f), Finding: f})
			continue
		}
		f.ID, f.FirstSeen = prev.ID, prev.FirstSeen
		if !prev.Resolved && prev.Severity == f.Severity && prev.Score == f.Score && prev.Exploited == f.Exploited && string(prev.Data) == string(f.Data) {
			continue // unchanged
		}
		if _, err := st.update.ExecContext(ctx, f.Severity, f.Score, f.Exploited, string(f.Data), aliasesColumn(f), now, f.ID); err != nil {
			return nil, err
		}
		switch {
		case prev.Resolved:
			changes = append(changes, FindingChange{Kind: newKind(f), Finding: f})
		case f.Exploited && !prev.Exploited:
			changes = append(changes, FindingChange{Kind: ChangeExploited, Finding: f, PreviousSeverity: prev.Severity})
		case f.Severity != prev.Severity:
			changes = append(changes, FindingChange{Kind: ChangeSeverity, Finding: f, PreviousSeverity: prev.Severity})
		default:
			changes = append(changes, FindingChange{Kind: ChangeUpdated, Finding: f})
		}
	}
	// The findings no longer found are resolved with one statement (a re-match after an update
	// resolves many at once; a round trip each would dominate on PostgreSQL).
	var resolved []any
	for k, prev := range old {
		if seen[k] || prev.Resolved {
			continue
		}
		resolved = append(resolved, prev.ID)
		prev.Resolved, prev.Data = true, nil
		changes = append(changes, FindingChange{Kind: ChangeResolved, Finding: prev})
	}
	for len(resolved) > 0 {
		n := min(len(resolved), 500)
		args := append([]any{now, now}, resolved[:n]...)
		if _, err := tx.ExecContext(ctx, s.rebind(`UPDATE finding SET resolved_at = ?, updated_at = ? WHERE id IN (`+strings.TrimSuffix(strings.Repeat("?,", n), ",")+`)`), args...); err != nil {
			return nil, err
		}
		resolved = resolved[n:]
	}
	return changes, nil
}

// aliasesColumn is the aliases column of a finding: its Aliases, or those of its record in Data
// (match.Finding's "aliases"), as a JSON array.
func aliasesColumn(f Finding) string {
	as := f.Aliases
	if as == nil {
		var rec struct {
			Aliases []string `json:"aliases"`
		}
		if json.Unmarshal(f.Data, &rec) == nil {
			as = rec.Aliases
		}
	}
	if len(as) == 0 {
		return "[]"
	}
	b, _ := json.Marshal(as) // a list of strings always encodes
	return string(b)
}

// findingStmts are the statements applyFindings runs, prepared once per transaction.
type findingStmts struct {
	load, insert, update *sql.Stmt
}

func (s *DB) prepareFindingStmts(ctx context.Context, tx *sql.Tx) (*findingStmts, error) {
	st := &findingStmts{}
	for _, p := range []struct {
		dst **sql.Stmt
		q   string
	}{
		{&st.load, `SELECT id, vulnerability, purl, severity, score, exploited, resolved_at IS NOT NULL, first_seen, data FROM finding WHERE release = ?`},
		{&st.insert, `INSERT INTO finding (release, vulnerability, purl, severity, score, exploited, data, aliases, first_seen, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`},
		{&st.update, `UPDATE finding SET severity = ?, score = ?, exploited = ?, data = ?, aliases = ?, updated_at = ?, resolved_at = NULL WHERE id = ?`},
	} {
		stmt, err := tx.PrepareContext(ctx, s.rebind(p.q))
		if err != nil {
			st.close()
			return nil, err
		}
		*p.dst = stmt
	}
	return st, nil
}

func (st *findingStmts) close() {
	for _, s := range []*sql.Stmt{st.load, st.insert, st.update} {
		if s != nil {
			s.Close()
		}
	}
}

// afterChanges keeps the release's counts, opens reporting cases for newly exploited findings and
// queues the notifications of the changes.
func (s *DB) afterChanges(ctx context.Context, tx *sql.Tx, release int64, changes []FindingChange, now time.Time, channels map[int64][]Channel, event func(int64, FindingChange) Event) error {
	if err := s.summarize(ctx, tx, release); err != nil {
		return err
	}
	// An exploited vulnerability in a release on the market opens a CRA Art. 14 case, unless
	// the manufacturer's triage says the product is not affected or has the fix.
	for _, c := range changes {
		if c.Kind != ChangeExploited {
			continue
		}
		var status string
		err := tx.QueryRowContext(ctx, s.rebind(`SELECT status FROM vex_statement WHERE release = ? AND vulnerability = ? AND purl = ? ORDER BY id DESC LIMIT 1`),
			release, c.Finding.Vulnerability, c.Finding.PURL).Scan(&status)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		if status == "not_affected" || status == "fixed" {
			continue
		}
		if _, err := s.openExploitedCase(ctx, tx, release, c.Finding.Vulnerability, cmp.Or(c.Finding.Title, c.Finding.Vulnerability), c.Finding.Evidence, now); err != nil {
			return err
		}
	}
	if event == nil || !slices.ContainsFunc(changes, func(c FindingChange) bool { return strings.Contains(changeKindsNotifiable, c.Kind) }) {
		return nil
	}
	var org, product int64
	if err := tx.QueryRowContext(ctx, s.rebind(`SELECT p.organization, p.id FROM release r JOIN product p ON p.id = r.product WHERE r.id = ?`), release).Scan(&org, &product); err != nil {
		return err
	}
	chans, ok := channels[org]
	if !ok {
		var err error
		if chans, err = s.releaseChannels(ctx, tx, release); err != nil {
			return err
		}
		channels[org] = chans
	}
	for _, c := range changes {
		if !strings.Contains(changeKindsNotifiable, c.Kind) {
			continue
		}
		var ev *Event
		for _, ch := range chans {
			if !ch.receives(c.Kind, product) {
				continue
			}
			if ev == nil {
				e := event(release, c)
				ev = &e
			}
			if err := s.queueNotification(ctx, tx, ch.ID, c.Kind, *ev); err != nil {
				return err
			}
		}
	}
	return nil
}

func newKind(f Finding) string {
	if f.Exploited {
		return ChangeExploited
	}
	return ChangeNew
}

// FindingFilter selects findings of a release.
type FindingFilter struct {
	Resolved      bool   // the resolved ones instead of those in force
	MinSeverity   string // CRITICAL, HIGH, MEDIUM, LOW
	ExploitedOnly bool
	Search        string // substring of the vulnerability id or purl
	Limit, Offset int
	// Sort is the order (one of FindingSorts; "" is SortFindingRisk) and Reverse turns it round.
	Sort    string
	Reverse bool
}

var severityRank = map[string]int{"CRITICAL": 4, "HIGH": 3, "MEDIUM": 2, "LOW": 1}

// Findings lists findings of a release: exploited first, then by score. It also returns how many
// match the filter in all (for pagination).
func (s *DB) Findings(ctx context.Context, release int64, f FindingFilter) ([]Finding, int, error) {
	where := []string{"release = ?"}
	args := []any{release}
	if f.Resolved {
		where = append(where, "resolved_at IS NOT NULL")
	} else {
		where = append(where, "resolved_at IS NULL")
	}
	if f.ExploitedOnly {
		where = append(where, "exploited = ?")
		args = append(args, true)
	}
	if r := severityRank[strings.ToUpper(f.MinSeverity)]; r > 0 {
		var in []string
		for sev, n := range severityRank {
			if n >= r {
				in = append(in, "'"+sev+"'")
			}
		}
		where = append(where, "severity IN ("+strings.Join(in, ",")+")")
	}
	if f.Search != "" {
		where = append(where, `(vulnerability LIKE ? ESCAPE '\' OR purl LIKE ? ESCAPE '\' OR data LIKE ? ESCAPE '\')`)
		p := "%" + likePrefix(f.Search) + "%"
		args = append(args, p, p, p)
	}
	cond := strings.Join(where, " AND ")
	var total int
	if err := s.reader().QueryRowContext(ctx, s.rebind(`SELECT count(*) FROM finding WHERE `+cond), args...).Scan(&total); err != nil {
		return nil, 0, mapError(err)
	}
	if f.Limit <= 0 {
		f.Limit = 1000
	}
	rows, err := s.reader().QueryContext(ctx, s.rebind(`SELECT id, release, vulnerability, purl, severity, score, exploited, data, first_seen, updated_at, resolved_at IS NOT NULL
		FROM finding WHERE `+cond+` ORDER BY `+findingOrder(f)+` LIMIT ? OFFSET ?`), append(args, f.Limit, f.Offset)...)
	if err != nil {
		return nil, 0, mapError(err)
	}
	defer rows.Close()
	var out []Finding
	for rows.Next() {
		var x Finding
		var data string
		if err := rows.Scan(&x.ID, &x.Release, &x.Vulnerability, &x.PURL, &x.Severity, &x.Score, &x.Exploited, &data, &x.FirstSeen, &x.UpdatedAt, &x.Resolved); err != nil {
			return nil, 0, err
		}
		x.Data, x.FirstSeen, x.UpdatedAt = []byte(data), x.FirstSeen.UTC(), x.UpdatedAt.UTC()
		out = append(out, x)
	}
	return out, total, rows.Err()
}

// Summary counts the findings in force of a product (over its releases) or a release. Unrated
// counts those no source gives a severity: Total is never less than the buckets' sum.
type Summary struct {
	ID                                                     int64
	Exploited, Critical, High, Medium, Low, Unrated, Total int
}

// summarize recomputes the counts of a release's findings in force: not resolved, and not
// triaged as not affected or fixed.
func (s *DB) summarize(ctx context.Context, tx *sql.Tx, release int64) error {
	now := s.now()
	_, err := tx.ExecContext(ctx, s.rebind(`INSERT INTO release_summary (release, exploited, critical, high, medium, low, unrated, total)
		SELECT ?, COALESCE(sum(CASE WHEN exploited THEN 1 ELSE 0 END), 0),
			COALESCE(sum(CASE WHEN severity = 'CRITICAL' THEN 1 ELSE 0 END), 0), COALESCE(sum(CASE WHEN severity = 'HIGH' THEN 1 ELSE 0 END), 0),
			COALESCE(sum(CASE WHEN severity = 'MEDIUM' THEN 1 ELSE 0 END), 0), COALESCE(sum(CASE WHEN severity = 'LOW' THEN 1 ELSE 0 END), 0),
			COALESCE(sum(CASE WHEN severity IN ('CRITICAL', 'HIGH', 'MEDIUM', 'LOW', 'NONE') THEN 0 ELSE 1 END), 0), count(*)
		FROM finding f WHERE release = ? AND resolved_at IS NULL AND `+vexInForce+` NOT IN ('not_affected', 'fixed')
		ON CONFLICT (release) DO UPDATE SET exploited = excluded.exploited, critical = excluded.critical, high = excluded.high,
			medium = excluded.medium, low = excluded.low, unrated = excluded.unrated, total = excluded.total`), release, release, now, now)
	return err
}

// ProductSummaries counts the findings in force of each product of an organization, as kept
// with the findings (product_summary).
func (s *DB) ProductSummaries(ctx context.Context, org int64) (map[int64]Summary, error) {
	return s.summaries(ctx, `SELECT product, exploited, critical, high, medium, low, unrated, total FROM product_summary WHERE organization = ?`, org)
}

// ReleaseSummaries counts the findings in force of each release of a product.
func (s *DB) ReleaseSummaries(ctx context.Context, product int64) (map[int64]Summary, error) {
	return s.summaries(ctx, `SELECT m.release, m.exploited, m.critical, m.high, m.medium, m.low, m.unrated, m.total
		FROM release_summary m JOIN release r ON r.id = m.release WHERE r.product = ?`, product)
}

func (s *DB) summaries(ctx context.Context, q string, args ...any) (map[int64]Summary, error) {
	rows, err := s.reader().QueryContext(ctx, s.rebind(q), args...)
	if err != nil {
		return nil, mapError(err)
	}
	defer rows.Close()
	out := map[int64]Summary{}
	for rows.Next() {
		var m Summary
		if err := rows.Scan(&m.ID, &m.Exploited, &m.Critical, &m.High, &m.Medium, &m.Low, &m.Unrated, &m.Total); err != nil {
			return nil, err
		}
		out[m.ID] = m
	}
	return out, rows.Err()
}

// Coverage is what the last matching of a release checked (match.Coverage as JSON).
type Coverage struct {
	Release   int64
	Product   int64
	Data      []byte
	UpdatedAt time.Time
}

// ReleaseCoverage returns the coverage kept for a release; ErrNotFound when it was never matched.
func (s *DB) ReleaseCoverage(ctx context.Context, release int64) (Coverage, error) {
	c := Coverage{Release: release}
	var data string
	err := s.reader().QueryRowContext(ctx, s.rebind(`SELECT r.product, c.coverage, c.updated_at FROM release_coverage c
		JOIN release r ON r.id = c.release WHERE c.release = ?`), release).Scan(&c.Product, &data, &c.UpdatedAt)
	if err != nil {
		return Coverage{}, mapError(err)
	}
	c.Data, c.UpdatedAt = []byte(data), c.UpdatedAt.UTC()
	return c, nil
}

// OrganizationCoverages returns the coverage kept for each matched release of an organization's
// products, by release.
func (s *DB) OrganizationCoverages(ctx context.Context, org int64) ([]Coverage, error) {
	return s.coverages(ctx, `SELECT c.release, r.product, c.coverage, c.updated_at FROM release_coverage c
		JOIN release r ON r.id = c.release JOIN product p ON p.id = r.product WHERE p.organization = ? ORDER BY c.release`, org)
}

// coverages reads the kept coverages a query selects (release, product, coverage, updated_at).
func (s *DB) coverages(ctx context.Context, q string, args ...any) ([]Coverage, error) {
	rows, err := s.reader().QueryContext(ctx, s.rebind(q), args...)
	if err != nil {
		return nil, mapError(err)
	}
	defer rows.Close()
	var out []Coverage
	for rows.Next() {
		var c Coverage
		var data string
		if err := rows.Scan(&c.Release, &c.Product, &data, &c.UpdatedAt); err != nil {
			return nil, err
		}
		c.Data, c.UpdatedAt = []byte(data), c.UpdatedAt.UTC()
		out = append(out, c)
	}
	return out, rows.Err()
}

// ComponentRef is a component to re-match and the release that ships it.
type ComponentRef struct {
	Release int64
	Component
}

// ComponentsByLookup returns the components looked up under one of the (base ecosystem, lookup
// name) keys — those an update of the vulnerability database touched — in the releases given, or
// across all releases when none is.
func (s *DB) ComponentsByLookup(ctx context.Context, keys [][2]string, releases ...int64) ([]ComponentRef, error) {
	var out []ComponentRef
	in := ""
	if len(releases) > 0 {
		in = " AND release IN (?" + strings.Repeat(", ?", len(releases)-1) + ")"
	}
	for len(keys) > 0 {
		n := min(len(keys), 200)
		batch := keys[:n]
		keys = keys[n:]
		names := make([]any, 0, n+len(releases))
		ph := make([]string, 0, n)
		want := map[[2]string]bool{}
		for _, k := range batch {
			names = append(names, k[1])
			ph = append(ph, "?")
			want[k] = true
		}
		for _, r := range releases {
			names = append(names, r)
		}
		rows, err := s.sql.QueryContext(ctx, s.rebind(`SELECT release, ref, name, version, purl, direct, ecosystem, lookup, match_version, vcs_commit
			FROM component WHERE lookup IN (`+strings.Join(ph, ",")+`)`+in), names...)
		if err != nil {
			return nil, mapError(err)
		}
		for rows.Next() {
			var c ComponentRef
			if err := rows.Scan(&c.Release, &c.Ref, &c.Name, &c.Version, &c.PURL, &c.Direct, &c.Ecosystem, &c.Lookup, &c.MatchVersion, &c.Commit); err != nil {
				rows.Close()
				return nil, err
			}
			base, _, _ := strings.Cut(c.Ecosystem, ":")
			if want[[2]string{base, c.Lookup}] {
				out = append(out, c)
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// AllReleaseIDs lists every release (for re-matching everything after a first import).
func (s *DB) AllReleaseIDs(ctx context.Context) ([]int64, error) {
	rows, err := s.sql.QueryContext(ctx, `SELECT id FROM release ORDER BY id`)
	if err != nil {
		return nil, mapError(err)
	}
	defer rows.Close()
	var out []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		out = append(out, id)
	}
	return out, rows.Err()
}

// FindingByKey returns the finding of a vulnerability in a package of a release.
func (s *DB) FindingByKey(ctx context.Context, release int64, vulnerability, purl string) (*Finding, error) {
	var x Finding
	var data string
	err := s.sql.QueryRowContext(ctx, s.rebind(`SELECT id, release, vulnerability, purl, severity, score, exploited, data, first_seen, updated_at, resolved_at IS NOT NULL
		FROM finding WHERE release = ? AND vulnerability = ? AND purl = ?`), release, vulnerability, purl).
		Scan(&x.ID, &x.Release, &x.Vulnerability, &x.PURL, &x.Severity, &x.Score, &x.Exploited, &data, &x.FirstSeen, &x.UpdatedAt, &x.Resolved)
	if err != nil {
		return nil, mapError(err)
	}
	x.Data, x.FirstSeen, x.UpdatedAt = []byte(data), x.FirstSeen.UTC(), x.UpdatedAt.UTC()
	return &x, nil
}
