package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"
)

// MaxComment is the longest comment on a finding, in bytes.
const MaxComment = 10_000

// Comment is a remark someone made on a finding of a release.
type Comment struct {
	ID            int64
	Release       int64
	Vulnerability string
	PURL          string
	Author        string
	Body          string
	CreatedAt     time.Time
}

// AddComment stores a comment on a finding, with its audit entry. The caller checks that the
// finding exists.
func (s *DB) AddComment(ctx context.Context, c Comment) (*Comment, error) {
	c.Body = strings.TrimSpace(c.Body)
	if c.Body == "" {
		return nil, fmt.Errorf("the comment is empty: write what you want to say")
	}
	if len(c.Body) > MaxComment {
		return nil, fmt.Errorf("the comment is %d bytes long: keep it to %d", len(c.Body), MaxComment)
	}
	if c.Vulnerability == "" || c.Author == "" {
		return nil, fmt.Errorf("a comment needs the vulnerability and its author")
	}
	c.CreatedAt = s.now()
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		if err := tx.QueryRowContext(ctx, s.rebind(`INSERT INTO finding_comment (release, vulnerability, purl, author, body, created_at) VALUES (?, ?, ?, ?, ?, ?) RETURNING id`),
			c.Release, c.Vulnerability, c.PURL, c.Author, c.Body, c.CreatedAt).Scan(&c.ID); err != nil {
			return err
		}
		return s.auditRelease(ctx, tx, c.Release, "finding.comment", fmt.Sprintf("release/%d/finding/%s", c.Release, c.Vulnerability), c.PURL+": "+c.Body)
	})
	if err != nil {
		return nil, fmt.Errorf("store comment: %w", err)
	}
	return &c, nil
}

// Comments lists the comments on a finding, oldest first.
func (s *DB) Comments(ctx context.Context, release int64, vulnerability, purl string) ([]Comment, error) {
	rows, err := s.sql.QueryContext(ctx, s.rebind(`SELECT id, release, vulnerability, purl, author, body, created_at FROM finding_comment
		WHERE release = ? AND vulnerability = ? AND purl = ? ORDER BY id`), release, vulnerability, purl)
	if err != nil {
		return nil, mapError(err)
	}
	defer rows.Close()
	out := []Comment{}
	for rows.Next() {
		var c Comment
		if err := rows.Scan(&c.ID, &c.Release, &c.Vulnerability, &c.PURL, &c.Author, &c.Body, &c.CreatedAt); err != nil {
			return nil, err
		}
		c.CreatedAt = c.CreatedAt.UTC()
		out = append(out, c)
	}
	return out, rows.Err()
}
