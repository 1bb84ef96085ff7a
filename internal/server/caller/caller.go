// Package caller is what the JSON API and the web pages both know of whoever sends a request:
// who they are and what they may do (Principal), and what they must change in a request before
// it can be done (Invalid, Conflicting, Mistake), so that both doors answer alike.
package caller

import "github.com/siegel-oss/siegel/internal/store"

// Principal is the authenticated sender of a request: an API token's bearer, or a signed-in
// user acting with the rights of their role.
type Principal struct {
	Token *store.Token
}

// OfUser is the principal of a signed-in user: the rights of an API token of the user's role.
func OfUser(u *store.User) Principal { return Principal{Token: u.Token()} }

// CanRead reports whether the principal may read the organization's data: its own, or any for
// an authority.
func (p Principal) CanRead(org int64) bool {
	return p.Token.Organization == org || p.Token.Role == "authority"
}

// CanWrite reports whether the principal may change the organization's data.
func (p Principal) CanWrite(org int64) bool {
	return p.Token.Organization == org && (p.Token.Role == "admin" || p.Token.Role == "psirt")
}
