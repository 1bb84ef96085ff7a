package app

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/siegel-oss/siegel/internal/server/caller"
	"github.com/siegel-oss/siegel/internal/store"
)

// InvitationTTL is how long an invitation link works.
const InvitationTTL = 7 * 24 * time.Hour

// MaxTokenDays bounds a token's lifetime as a number of days.
const MaxTokenDays = 3650

// TokenJSON is an API token as listed: never its secret.
type TokenJSON struct {
	ID         int64      `json:"id"`
	Name       string     `json:"name"`
	Role       string     `json:"role"`
	Owner      string     `json:"owner,omitempty"`
	CreatedAt  time.Time  `json:"createdAt"`
	ExpiresAt  *time.Time `json:"expiresAt,omitempty"`
	LastUsedAt *time.Time `json:"lastUsedAt,omitempty"`
	RevokedAt  *time.Time `json:"revokedAt,omitempty"`
	// State is "active", "expired" or "revoked".
	State string `json:"state"`
}

func timePtr(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

// ToTokenJSON is a token as listed, its state (active, expired, revoked) at now.
func ToTokenJSON(t store.TokenInfo, now time.Time) TokenJSON {
	out := TokenJSON{ID: t.ID, Name: t.Name, Role: t.Role, Owner: t.Owner, CreatedAt: t.CreatedAt, ExpiresAt: timePtr(t.ExpiresAt),
		LastUsedAt: timePtr(t.LastUsedAt), RevokedAt: timePtr(t.RevokedAt), State: "active"}
	switch {
	case !t.RevokedAt.IsZero():
		out.State = "revoked"
	case t.Expired(now):
		out.State = "expired"
	}
	return out
}

// VisibleTokens lists the API tokens the caller manages: all of the organization's for an
// administrator, the caller's own user's for anyone else.
func (s *Deps) VisibleTokens(ctx context.Context, p caller.Principal) ([]store.TokenInfo, error) {
	ts, err := s.Store.ListTokens(ctx, p.Token.Organization)
	if err != nil || p.Token.Role == "admin" {
		return ts, err
	}
	return slices.DeleteFunc(ts, func(t store.TokenInfo) bool { return t.OwnerID != p.Token.User || p.Token.User == 0 }), nil
}

// RevokeVisibleToken revokes a token the caller manages; another's is not found.
func (s *Deps) RevokeVisibleToken(ctx context.Context, p caller.Principal, id int64) error {
	ts, err := s.VisibleTokens(ctx, p)
	if err != nil {
		return err
	}
	if !slices.ContainsFunc(ts, func(t store.TokenInfo) bool { return t.ID == id }) {
		return fmt.Errorf("token %d: %w", id, store.ErrNotFound)
	}
	return s.Store.RevokeToken(ctx, p.Token.Organization, id)
}

// TokenExpiry reads an expiry given as a date (YYYY-MM-DD, the token works until that day
// ends in UTC) or as a number of days from now; both empty means none.
func TokenExpiry(now time.Time, date, days string) (time.Time, error) {
	date, days = strings.TrimSpace(date), strings.TrimSpace(days)
	switch {
	case date != "" && days != "":
		return time.Time{}, fmt.Errorf("give the expiry as a date or as a number of days, not both")
	case date != "":
		d, err := time.Parse(time.DateOnly, date)
		if err != nil {
			return time.Time{}, fmt.Errorf("expiry %q: give a date as YYYY-MM-DD", date)
		}
		return d.AddDate(0, 0, 1), nil
	case days != "":
		n, err := strconv.Atoi(days)
		if err != nil || n < 1 || n > MaxTokenDays {
			return time.Time{}, fmt.Errorf("expiry in days %q: give a whole number from 1 to %d", days, MaxTokenDays)
		}
		return now.UTC().Add(time.Duration(n) * 24 * time.Hour).Truncate(time.Second), nil
	}
	return time.Time{}, nil
}

// IssueToken makes a token for the caller's organization, owned by the caller's user when it
// has one; roles are those of invited users (an administrator cannot mint authority tokens), and
// anyone else gives only their own role or read-only (store.MayGrant).
func (s *Deps) IssueToken(r *http.Request, p caller.Principal, name, role string, expires time.Time) (string, *store.TokenInfo, error) {
	if !store.MayGrant(p.Token.Role, role) {
		return "", nil, fmt.Errorf("%w: role %q: choose one of %s", store.ErrInvalid, role, strings.Join(store.GrantableRoles(p.Token.Role), ", "))
	}
	return s.Store.IssueToken(r.Context(), store.NewToken{Organization: p.Token.Organization, Role: role, Name: name, Expires: expires, User: p.Token.User})
}

// RenameOrganization renames an organization and keeps the CSAF provider directory serving it
// when it was the provider organization (found by its old name first).
func (s *Deps) RenameOrganization(r *http.Request, org int64, name string) error {
	if s.ProviderOrg != "" {
		if _, err := s.ProviderOrganization(r.Context()); err != nil && !errors.Is(err, store.ErrNotFound) {
			return err
		}
	}
	return s.Store.RenameOrganization(r.Context(), org, name)
}

// ProviderOrganization is the organization the CSAF provider directory publishes: found by the
// configured name once, then by its id, so that a rename does not take the directory down.
func (s *Deps) ProviderOrganization(ctx context.Context) (*store.Organization, error) {
	if id := s.providerID.Load(); id != 0 {
		return s.Store.OrganizationByID(ctx, id)
	}
	o, err := s.Store.OrganizationByName(ctx, s.ProviderOrg)
	if err != nil {
		return nil, err
	}
	s.providerID.Store(o.ID)
	return o, nil
}
