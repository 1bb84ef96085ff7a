package cli

import (
	"flag"
	"fmt"
	"os"
	"slices"
	"strings"

	"github.com/siegel-oss/siegel/internal/server"
	"github.com/siegel-oss/siegel/internal/store"
)

// ssoFlags configure single sign-on through an OpenID Connect provider.
type ssoFlags struct {
	issuer, clientID, secretFile, groupsClaim, defaultRole, org string
	domains, groupRoles                                         stringList
}

func (f *ssoFlags) flags(fs *flag.FlagSet) {
	fs.StringVar(&f.issuer, "oidc-issuer", "", "OpenID Connect issuer URL for single sign-on (its discovery document is read at the first sign-on); needs --base-url")
	fs.StringVar(&f.clientID, "oidc-client-id", "", "client id registered at the OpenID provider (redirect URI: BASE-URL/login/oidc/callback)")
	fs.StringVar(&f.secretFile, "oidc-client-secret-file", "", "file holding the client secret (default: $SIEGEL_OIDC_CLIENT_SECRET, or $SIEGEL_OIDC_CLIENT_SECRET_FILE)")
	fs.Var(&f.domains, "oidc-allowed-domain", "e-mail domain whose verified addresses may sign on with --oidc-default-role (repeatable)")
	fs.Var(&f.groupRoles, "oidc-group-role", "GROUP=ROLE: members of GROUP sign on with ROLE, the strongest of their groups (repeatable)")
	fs.StringVar(&f.groupsClaim, "oidc-groups-claim", "groups", "ID token claim that lists a person's groups")
	fs.StringVar(&f.defaultRole, "oidc-default-role", "auditor", "role of people admitted by --oidc-allowed-domain: "+strings.Join(store.InviteRoles, ", "))
	fs.StringVar(&f.org, "oidc-org", "", "organization people who sign on join (default: the first organization)")
}

// config validates the flags once at start and returns the server's configuration (nil when
// single sign-on is off).
func (f *ssoFlags) config(env *Env, baseURL string) (*server.OIDCConfig, error) {
	if f.issuer == "" && f.clientID == "" {
		return nil, nil
	}
	if f.issuer == "" || f.clientID == "" {
		return nil, usagef("single sign-on needs both --oidc-issuer and --oidc-client-id")
	}
	if !strings.HasPrefix(baseURL, "https://") && !strings.HasPrefix(baseURL, "http://") {
		return nil, usagef("single sign-on needs --base-url, the address the provider sends people back to")
	}
	secret := env.Getenv("SIEGEL_OIDC_CLIENT_SECRET")
	file := cmpOr(f.secretFile, env.Getenv("SIEGEL_OIDC_CLIENT_SECRET_FILE"))
	if file != "" {
		b, err := os.ReadFile(file)
		if err != nil {
			return nil, fmt.Errorf("--oidc-client-secret-file: %w", err)
		}
		secret = strings.TrimSpace(string(b))
	}
	if secret == "" {
		return nil, usagef("single sign-on needs the client secret: set $SIEGEL_OIDC_CLIENT_SECRET or --oidc-client-secret-file")
	}
	if !slices.Contains(store.InviteRoles, f.defaultRole) {
		return nil, usagef("--oidc-default-role %q: choose one of %s", f.defaultRole, strings.Join(store.InviteRoles, ", "))
	}
	roles := map[string]string{}
	for _, gr := range f.groupRoles {
		group, role, ok := strings.Cut(gr, "=")
		if !ok || group == "" || !slices.Contains(store.InviteRoles, role) {
			return nil, usagef("--oidc-group-role %q: give GROUP=ROLE with a role of %s", gr, strings.Join(store.InviteRoles, ", "))
		}
		roles[group] = role
	}
	if len(f.domains) == 0 && len(roles) == 0 {
		return nil, usagef("single sign-on admits nobody: give --oidc-allowed-domain or --oidc-group-role")
	}
	return &server.OIDCConfig{Issuer: f.issuer, ClientID: f.clientID, ClientSecret: secret, AllowedDomains: f.domains, DefaultRole: f.defaultRole,
		GroupsClaim: f.groupsClaim, GroupRoles: roles, Organization: f.org}, nil
}
