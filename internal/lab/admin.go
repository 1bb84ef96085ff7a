package lab

import (
	"bytes"
	"cmp"
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
)

// AdminResult is what one web interface showed without and with a login.
type AdminResult struct {
	Address string       `json:"address"`
	TLS     bool         `json:"tls"`
	Login   string       `json:"login"` // basic, form, none (no login seen)
	Pages   []AdminPage  `json:"pages"`
	Cookies []CookieInfo `json:"cookies"`
	// PasswordChange is where, logged in with a working credential, a form sets a password
	// ("" when none was seen, or no credential worked).
	PasswordChange string `json:"passwordChange,omitempty"`
	// LoggedIn: the pages were fetched again with a working credential.
	LoggedIn bool `json:"loggedIn,omitempty"`
}

// AdminPage is one path of the web interface.
type AdminPage struct {
	Path   string `json:"path"`
	Status int    `json:"status"`
	// Access: "login required" (401, 403, a login form, or a redirect to one), "open" (the
	// page answered without a login and asks for none), or "absent" (404 and the like).
	Access string `json:"access"`
	// WithLogin is the status with the default credentials that worked, when some did.
	WithLogin int `json:"withLogin,omitempty"`
}

// CookieInfo is a cookie the interface set and its protection flags (RFC 6265bis).
type CookieInfo struct {
	Name     string `json:"name"`
	Path     string `json:"path,omitempty"`
	Secure   bool   `json:"secure"`
	HttpOnly bool   `json:"httpOnly"`
	SameSite string `json:"sameSite"` // Strict, Lax, None, or "" when unset
	Session  bool   `json:"session"`  // set by the login
	OverTLS  bool   `json:"overTls"`
}

// adminPaths are configuration pages of common router and device firmware.
var adminPaths = []string{"/", "/admin", "/admin/", "/config", "/settings", "/setup.cgi", "/cgi-bin/luci", "/cgi-bin/admin",
	"/system", "/network", "/wan", "/management", "/status", "/config.html", "/admin.html", "/network.html", "/system.html"}

// webInterface finds the login of a web interface and classifies its pages.
func (e *engine) webInterface(ctx context.Context, addr string, overTLS bool) (*AdminResult, []*loginTarget) {
	res := &AdminResult{Address: addr, TLS: overTLS, Login: "none", Pages: []AdminPage{}, Cookies: []CookieInfo{}}
	var targets []*loginTarget
	seen := map[string]bool{}
	for _, path := range adminPaths {
		r, err := e.httpGet(ctx, addr, overTLS, path, nil)
		if err != nil {
			continue
		}
		page := AdminPage{Path: path, Status: r.status}
		e.collectCookies(res, r, overTLS, false)
		switch {
		case r.status == http.StatusNotFound || r.status == http.StatusGone || r.status == http.StatusNotImplemented || r.status == http.StatusMethodNotAllowed:
			page.Access = "absent"
		case r.status == http.StatusUnauthorized:
			page.Access = "login required"
			if strings.HasPrefix(strings.ToLower(r.header.Get("WWW-Authenticate")), "basic") && !seen["basic"] {
				seen["basic"] = true
				res.Login = "basic"
				targets = append(targets, &loginTarget{kind: "http-basic", addr: addr, overTLS: overTLS, path: path})
			}
		case r.status == http.StatusForbidden:
			page.Access = "login required"
		case r.status >= 300 && r.status < 400:
			page.Access = "login required"
			loc := e.sameHostPath(addr, overTLS, r.location)
			if loc == "" {
				page.Access = "redirected elsewhere"
				break
			}
			if lr, err := e.httpGet(ctx, addr, overTLS, loc, nil); err == nil {
				if f := findLoginForm(lr.body); f != nil {
					if !seen["form"] {
						seen["form"] = true
						res.Login = "form"
						targets = append(targets, e.formTarget(ctx, addr, overTLS, loc, f))
					}
				} else if !strings.Contains(strings.ToLower(loc), "login") {
					page.Access = "redirect to " + loc
				}
			}
		case r.status < 300:
			if f := findLoginForm(r.body); f != nil {
				page.Access = "login required"
				if !seen["form"] {
					seen["form"] = true
					res.Login = "form"
					targets = append(targets, e.formTarget(ctx, addr, overTLS, path, f))
				}
			} else if path != "/" || settingsForm(r.body) {
				page.Access = "open"
			} else {
				page.Access = "public start page"
			}
		default:
			page.Access = "error"
		}
		res.Pages = append(res.Pages, page)
	}
	return res, targets
}

// sameHostPath returns the path of a redirect that stays on the device, or "".
func (e *engine) sameHostPath(addr string, overTLS bool, loc string) string {
	base, _ := url.Parse(baseURL(addr, overTLS) + "/")
	u, err := base.Parse(loc)
	if err != nil || u.Host != base.Host {
		return ""
	}
	return u.RequestURI()
}

func (e *engine) formTarget(ctx context.Context, addr string, overTLS bool, path string, f *loginForm) *loginTarget {
	t := &loginTarget{kind: "http-form", addr: addr, overTLS: overTLS, path: path, form: f}
	t.wrong, _ = e.formSubmit(ctx, addr, overTLS, path, f, Credential{User: "siegel-" + randomToken(3), Password: randomToken(10)})
	return t
}

// settingsForm reports whether a page holds a form that changes settings (inputs other than a
// search box), which a start page open to all must not.
func settingsForm(body []byte) bool {
	low := bytes.ToLower(body)
	return bytes.Contains(low, []byte("<form")) && bytes.Count(low, []byte("<input")) >= 2
}

func (e *engine) collectCookies(res *AdminResult, r *httpResp, overTLS, session bool) {
	for _, c := range r.cookies {
		info := CookieInfo{Name: c.Name, Path: c.Path, Secure: c.Secure, HttpOnly: c.HttpOnly, Session: session, OverTLS: overTLS}
		switch c.SameSite {
		case http.SameSiteStrictMode:
			info.SameSite = "Strict"
		case http.SameSiteLaxMode:
			info.SameSite = "Lax"
		case http.SameSiteNoneMode:
			info.SameSite = "None"
		}
		dup := false
		for i, x := range res.Cookies {
			if x.Name == info.Name {
				dup = true
				res.Cookies[i].Session = x.Session || session
			}
		}
		if !dup {
			res.Cookies = append(res.Cookies, info)
		}
	}
}

// withLogin fetches the pages again logged in with a working credential, and records the
// session cookies.
func (e *engine) withLogin(ctx context.Context, res *AdminResult, t *loginTarget, c Credential) {
	var cookies []*http.Cookie
	var cred *Credential
	switch t.kind {
	case "http-basic":
		cred = &c
	case "http-form":
		r, err := e.formSubmit(ctx, t.addr, t.overTLS, t.path, t.form, c)
		if err != nil {
			return
		}
		cookies = r.cookies
		e.collectCookies(res, r, t.overTLS, true)
	default:
		return
	}
	res.LoggedIn = true
	for i, p := range res.Pages {
		r, err := e.httpGetWith(ctx, t.addr, t.overTLS, p.Path, cred, cookies)
		if err != nil {
			continue
		}
		res.Pages[i].WithLogin = r.status
		// A form with a password field behind the login sets a password, unless it is the
		// login form itself shown again (a session that did not take).
		if f := findLoginForm(r.body); f != nil && r.status == http.StatusOK && res.PasswordChange == "" &&
			p.Access != "open" && (t.form == nil || f.Action != t.form.Action) {
			res.PasswordChange = fmt.Sprintf("%s%s (a form to %s with the password field %q)", t.addr, p.Path, cmp.Or(f.Action, p.Path), f.PassField)
		}
	}
}
