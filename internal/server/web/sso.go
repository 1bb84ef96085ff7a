package web

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"github.com/siegel-oss/siegel/internal/server/app"
	"github.com/siegel-oss/siegel/internal/store"
	"golang.org/x/oauth2"
)

// ssoCookie carries state, nonce and PKCE verifier of a sign-on in progress from the redirect
// to the provider to the callback: they bind the callback to this browser.
const (
	ssoCookie = "siegel_sso"
	ssoTTL    = 10 * time.Minute
)

// errSSO is a sign-on the server refuses; its text is logged, the person sees a general message.
var errSSO = errors.New("single sign-on refused")

// ssoClient is the provider's configuration, discovered at the first sign-on (and again after a
// failed discovery), so that a provider that is down does not stop the server from starting.
type ssoClient struct {
	mu       sync.Mutex
	verifier *oidc.IDTokenVerifier
	oauth    *oauth2.Config
	client   *http.Client
}

func (s *Site) ssoWebRoutes() {
	s.mux.HandleFunc("GET /login/oidc", s.web(s.ssoStart, false))
	s.mux.HandleFunc("GET /login/oidc/callback", s.web(s.ssoCallback, false))
}

// ssoSetup returns the OAuth 2 configuration and ID token verifier, discovering the provider
// the first time.
func (s *Site) ssoSetup(ctx context.Context) (*oauth2.Config, *oidc.IDTokenVerifier, *http.Client, error) {
	c := &s.sso
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.oauth != nil {
		return c.oauth, c.verifier, c.client, nil
	}
	cfg := s.OIDC
	base := strings.TrimSuffix(s.BaseURL, "/")
	if base == "" {
		return nil, nil, nil, fmt.Errorf("single sign-on needs the server's public address: start it with --base-url")
	}
	client := cfg.HTTPClient
	if client == nil {
		client = &http.Client{Timeout: 10 * time.Second}
	}
	// The key set fetches keys later with this context: it must outlive the request.
	pctx := oidc.ClientContext(context.WithoutCancel(ctx), client)
	provider, err := oidc.NewProvider(pctx, cfg.Issuer)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("discover the OpenID provider %s: %w", cfg.Issuer, err)
	}
	c.client = client
	c.verifier = provider.Verifier(&oidc.Config{ClientID: cfg.ClientID, Now: s.Now})
	c.oauth = &oauth2.Config{ClientID: cfg.ClientID, ClientSecret: cfg.ClientSecret, Endpoint: provider.Endpoint(),
		RedirectURL: base + "/login/oidc/callback", Scopes: []string{oidc.ScopeOpenID, "email", "profile"}}
	return c.oauth, c.verifier, c.client, nil
}

// ssoStart sends the browser to the provider with a fresh state, nonce and PKCE challenge.
func (s *Site) ssoStart(w http.ResponseWriter, r *http.Request, _ *store.User) {
	if s.OIDC == nil {
		http.NotFound(w, r)
		return
	}
	conf, _, _, err := s.ssoSetup(r.Context())
	if err != nil {
		s.Log.Error("single sign-on", "err", err)
		s.ssoFailed(w, http.StatusServiceUnavailable, "The identity provider cannot be reached now; try again later or sign in with your password.")
		return
	}
	// 256 random bits each (GenerateVerifier is RFC 7636's verifier, fit for state and nonce too).
	state, nonce, verifier := oauth2.GenerateVerifier(), oauth2.GenerateVerifier(), oauth2.GenerateVerifier()
	http.SetCookie(w, &http.Cookie{Name: ssoCookie, Value: state + "." + nonce + "." + verifier, Path: "/login/oidc", HttpOnly: true,
		SameSite: http.SameSiteLaxMode, Secure: s.secureCookies(r), MaxAge: int(ssoTTL.Seconds())})
	http.Redirect(w, r, conf.AuthCodeURL(state, oidc.Nonce(nonce), oauth2.S256ChallengeOption(verifier)), http.StatusFound)
}

// ssoClaims are the ID token claims Siegel reads; groups are read separately (the claim's name
// is configured).
type ssoClaims struct {
	Email    string `json:"email"`
	Verified *bool  `json:"email_verified"`
}

// ssoCallback completes the sign-on: the state must be the one this browser was sent with, the
// code is exchanged with the PKCE verifier, and the ID token must verify and carry the nonce.
func (s *Site) ssoCallback(w http.ResponseWriter, r *http.Request, _ *store.User) {
	if s.OIDC == nil {
		http.NotFound(w, r)
		return
	}
	http.SetCookie(w, &http.Cookie{Name: ssoCookie, Value: "", Path: "/login/oidc", MaxAge: -1, HttpOnly: true})
	u, err := s.ssoUser(r)
	switch {
	case errors.Is(err, store.ErrDisabled):
		s.ssoFailed(w, http.StatusForbidden, "This account is disabled: ask an administrator of your organisation.")
		return
	case errors.Is(err, errSSO), errors.Is(err, store.ErrConflict):
		s.Log.Warn("single sign-on refused", "err", err)
		s.ssoFailed(w, http.StatusForbidden, "Single sign-on failed: the identity provider's answer was refused. Sign in again; if it keeps failing, your administrator finds the reason in the server's log.")
		return
	case err != nil:
		s.Fail(w, r, err)
		return
	}
	session, err := s.Store.StartSession(r.Context(), u.ID, sessionTTL)
	if err != nil {
		s.Fail(w, r, err)
		return
	}
	s.setSessionCookie(w, r, session)
	http.Redirect(w, r, "/", http.StatusSeeOther)
}

func (s *Site) ssoFailed(w http.ResponseWriter, status int, msg string) {
	s.render(w, status, "login", s.signInView(msg, ""))
}

// ssoUser checks the provider's answer and returns the user it signs in.
func (s *Site) ssoUser(r *http.Request) (*store.User, error) {
	q := r.URL.Query()
	if e := q.Get("error"); e != "" {
		return nil, fmt.Errorf("%w: the provider answered %s: %s", errSSO, e, q.Get("error_description"))
	}
	c, err := r.Cookie(ssoCookie)
	if err != nil {
		return nil, fmt.Errorf("%w: no sign-on in progress in this browser (cookie missing or expired)", errSSO)
	}
	parts := strings.Split(c.Value, ".")
	if len(parts) != 3 || subtle.ConstantTimeCompare([]byte(parts[0]), []byte(q.Get("state"))) != 1 {
		return nil, fmt.Errorf("%w: state mismatch", errSSO)
	}
	nonce, verifier := parts[1], parts[2]
	conf, idv, client, err := s.ssoSetup(r.Context())
	if err != nil {
		return nil, err
	}
	ctx := context.WithValue(r.Context(), oauth2.HTTPClient, client)
	tok, err := conf.Exchange(ctx, q.Get("code"), oauth2.VerifierOption(verifier))
	if err != nil {
		return nil, fmt.Errorf("%w: code exchange: %v", errSSO, err)
	}
	raw, ok := tok.Extra("id_token").(string)
	if !ok || raw == "" {
		return nil, fmt.Errorf("%w: the token response has no ID token", errSSO)
	}
	idt, err := idv.Verify(oidc.ClientContext(r.Context(), client), raw)
	if err != nil {
		return nil, fmt.Errorf("%w: ID token: %v", errSSO, err)
	}
	if subtle.ConstantTimeCompare([]byte(idt.Nonce), []byte(nonce)) != 1 {
		return nil, fmt.Errorf("%w: nonce mismatch", errSSO)
	}
	var claims ssoClaims
	all := map[string]any{}
	if err := errors.Join(idt.Claims(&claims), idt.Claims(&all)); err != nil {
		return nil, fmt.Errorf("%w: ID token claims: %v", errSSO, err)
	}
	if claims.Email == "" || claims.Verified != nil && !*claims.Verified {
		return nil, fmt.Errorf("%w: the ID token has no verified e-mail address", errSSO)
	}
	role, err := ssoRole(s.OIDC, claims.Email, all)
	if err != nil {
		return nil, err
	}
	org, err := s.ssoOrganization(r.Context())
	if err != nil {
		return nil, err
	}
	return s.Store.SSOUser(r.Context(), org, idt.Issuer+"|"+idt.Subject, claims.Email, role)
}

// ssoRole decides the role of a person the provider vouches for: the strongest role of the
// groups they are in, else the default role when their e-mail domain is allowed; else none.
func ssoRole(cfg *app.OIDCConfig, email string, claims map[string]any) (string, error) {
	claim := app.CmpOrDefault(cfg.GroupsClaim, "groups")
	var groups []string
	switch v := claims[claim].(type) {
	case []any:
		for _, g := range v {
			if s, ok := g.(string); ok {
				groups = append(groups, s)
			}
		}
	case string:
		groups = []string{v}
	}
	best := -1
	for _, g := range groups {
		if role, ok := cfg.GroupRoles[g]; ok {
			if i := slices.Index(store.InviteRoles, role); i >= 0 && (best < 0 || i < best) {
				best = i
			}
		}
	}
	if best >= 0 {
		return store.InviteRoles[best], nil
	}
	domain := strings.ToLower(email[strings.LastIndexByte(email, '@')+1:])
	for _, d := range cfg.AllowedDomains {
		if strings.EqualFold(strings.TrimPrefix(d, "@"), domain) {
			return app.CmpOrDefault(cfg.DefaultRole, "auditor"), nil
		}
	}
	return "", fmt.Errorf("%w: %s is in no allowed domain and no group with a role", errSSO, email)
}

// ssoOrganization is the organization people signing on join.
func (s *Site) ssoOrganization(ctx context.Context) (int64, error) {
	if name := s.OIDC.Organization; name != "" {
		o, err := s.Store.OrganizationByName(ctx, name)
		if err != nil {
			return 0, err
		}
		return o.ID, nil
	}
	o, err := s.Store.FirstOrganization(ctx)
	if err != nil {
		return 0, err
	}
	return o.ID, nil
}
