package vulndb

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/siegel-oss/siegel/internal/input"
)

// EUVD is what the European Union Vulnerability Database (ENISA, the database NIS-2 Art. 12(2)
// establishes) says about a vulnerability.
type EUVD struct {
	ID             string   `json:"id"`                       // EUVD-YYYY-NNNNN
	Aliases        []string `json:"aliases,omitempty"`        // CVE, GHSA, ... ids
	Exploited      bool     `json:"exploited"`                // listed among exploited vulnerabilities
	ExploitedSince string   `json:"exploitedSince,omitempty"` // as EUVD states it
	BaseScore      float64  `json:"baseScore,omitempty"`
	Vector         string   `json:"vector,omitempty"`
	Updated        string   `json:"updated,omitempty"`
}

// euvdItem is one vulnerability in an EUVD API response. Lists of ids and URLs come as one string
// with one entry per line.
type euvdItem struct {
	ID               string   `json:"id"`
	Aliases          string   `json:"aliases"`
	BaseScore        *float64 `json:"baseScore"`
	BaseScoreVersion string   `json:"baseScoreVersion"`
	BaseScoreVector  string   `json:"baseScoreVector"`
	DateUpdated      string   `json:"dateUpdated"`
	ExploitedSince   string   `json:"exploitedSince"`
}

// ImportEUVD adds the vulnerabilities of one EUVD API response — a JSON array of vulnerabilities
// (as the exploited and latest lists return them) or an object with "items" (as search returns
// them) — to the EUVD table. With exploited set, the response is the list of exploited
// vulnerabilities: each entry is marked exploited even when it carries no exploitedSince. An
// entry already known stays exploited once any response said so.
func (db *DB) ImportEUVD(ctx context.Context, name string, r io.Reader, exploited bool, now time.Time) (Result, error) {
	data, err := input.ReadAll(name, r, input.Limits{MaxBytes: maxFeedBytes})
	if err != nil {
		return Result{}, err
	}
	if err := input.CheckJSONDepth(name, data, 32); err != nil {
		return Result{}, err
	}
	var items []euvdItem
	trimmed := strings.TrimSpace(string(data))
	if strings.HasPrefix(trimmed, "[") {
		if err := json.Unmarshal(data, &items); err != nil {
			return Result{}, input.JSONError(name, data, err)
		}
	} else {
		var page struct {
			Items *[]euvdItem `json:"items"`
		}
		if err := json.Unmarshal(data, &page); err != nil {
			return Result{}, input.JSONError(name, data, err)
		}
		if page.Items == nil {
			return Result{}, &input.Error{File: name, Pointer: "/items", Rule: "EUVD format", Err: errors.New("neither a list of vulnerabilities nor an object with items: not an EUVD response")}
		}
		items = *page.Items
	}
	sum := sha256.Sum256(data)
	source := "euvd"
	if exploited {
		source = "euvd:exploited"
	}
	res := Result{Snapshot: Snapshot{Source: source, Kind: "euvd", Taken: now.UTC(), Digest: hex.EncodeToString(sum[:])}}
	tx, err := db.begin(ctx)
	if err != nil {
		return Result{}, err
	}
	defer tx.Rollback()
	ins, err := tx.PrepareContext(ctx, db.rebind(`INSERT INTO euvd (id, aliases, exploited, exploited_since, base_score, vector, updated)
		VALUES (?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT(id) DO UPDATE SET aliases = excluded.aliases,
			exploited = CASE WHEN euvd.exploited > excluded.exploited THEN euvd.exploited ELSE excluded.exploited END,
			exploited_since = CASE WHEN excluded.exploited_since != '' THEN excluded.exploited_since ELSE euvd.exploited_since END,
			base_score = excluded.base_score, vector = excluded.vector, updated = excluded.updated`))
	if err != nil {
		return Result{}, err
	}
	insAlias, err := tx.PrepareContext(ctx, db.rebind(`INSERT INTO euvd_alias (alias, euvd) VALUES (?, ?) ON CONFLICT DO NOTHING`))
	if err != nil {
		return Result{}, err
	}
	wasExploited, err := tx.PrepareContext(ctx, db.rebind(`SELECT exploited FROM euvd WHERE id = ?`))
	if err != nil {
		return Result{}, err
	}
	var newlyExploited []string // aliases of entries that became exploited

	for i, it := range items {
		if !strings.HasPrefix(it.ID, "EUVD-") {
			res.Problems = append(res.Problems, Problem{Record: fmt.Sprintf("%s#/%d", name, i), Err: fmt.Sprintf("id %q is not an EUVD id", it.ID)})
			continue
		}
		aliases := strings.Fields(it.Aliases)
		aj, _ := json.Marshal(aliases)
		score := 0.0
		if it.BaseScore != nil && *it.BaseScore >= 0 && *it.BaseScore <= 10 {
			score = *it.BaseScore
		}
		x := 0
		if exploited || it.ExploitedSince != "" {
			x = 1
			var was int
			if err := wasExploited.QueryRowContext(ctx, it.ID).Scan(&was); err != nil && !errors.Is(err, sql.ErrNoRows) {
				return Result{}, err
			}
			if was == 0 {
				newlyExploited = append(newlyExploited, aliases...)
			}
		}
		if _, err := ins.ExecContext(ctx, it.ID, string(aj), x, it.ExploitedSince, score, it.BaseScoreVector, it.DateUpdated); err != nil {
			return Result{}, err
		}
		for _, a := range aliases {
			if _, err := insAlias.ExecContext(ctx, a, it.ID); err != nil {
				return Result{}, err
			}
		}
		res.Snapshot.Records++
	}
	res.Snapshot.Skipped = len(res.Problems)
	if err := db.insertSnapshot(ctx, tx, &res); err != nil {
		return Result{}, err
	}
	if err := db.noteFeed(ctx, tx, FeedEUVD, name, "", now); err != nil {
		return Result{}, err
	}
	changes := newChangeSet()
	if err := db.addCVEs(ctx, tx, changes, newlyExploited); err != nil {
		return Result{}, err
	}
	if err := db.persistChanges(ctx, tx, changes); err != nil {
		return Result{}, err
	}
	changes.fill(&res)
	db.invalidate()
	return res, tx.Commit()
}
