package lab

import (
	"bytes"
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"golang.org/x/net/html"
)

// httpResp is the part of an HTTP answer the tests look at.
type httpResp struct {
	status   int
	header   http.Header
	body     []byte
	location string
	cookies  []*http.Cookie
}

const maxHTTPBody = 256 << 10

// httpDo sends one request over a new connection through the prober; redirects are not followed.
func (e *engine) httpDo(ctx context.Context, addr string, overTLS bool, req *http.Request) (*httpResp, error) {
	tr := &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			return e.p.connect(ctx, "http-connect", addr, e.cfg.ConnectTimeout)
		},
		// The device's certificate is examined elsewhere, not trusted here.
		TLSClientConfig:   &tls.Config{InsecureSkipVerify: true, MinVersion: tls.VersionTLS10}, //nolint:gosec
		DisableKeepAlives: true,
		ForceAttemptHTTP2: false,
	}
	defer tr.CloseIdleConnections()
	cl := &http.Client{Transport: tr, Timeout: 10 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	start, t0 := e.p.now(), time.Now()
	resp, err := cl.Do(req.WithContext(ctx))
	sent := req.Method + " " + req.URL.RequestURI()
	if req.Header.Get("Authorization") != "" {
		sent += " (Authorization: Basic <credentials>)"
	}
	if err != nil {
		e.p.session("http", addr, start, time.Since(t0), sent, "", "error: "+err.Error())
		return nil, err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, maxHTTPBody))
	r := &httpResp{status: resp.StatusCode, header: resp.Header, body: body, location: resp.Header.Get("Location"), cookies: resp.Cookies()}
	e.p.session("http", addr, start, time.Since(t0), sent, fmt.Sprintf("%s server=%q", resp.Status, resp.Header.Get("Server")), fmt.Sprintf("status %d", resp.StatusCode))
	return r, nil
}

func baseURL(addr string, overTLS bool) string {
	if overTLS {
		return "https://" + addr
	}
	return "http://" + addr
}

func (e *engine) httpGet(ctx context.Context, addr string, overTLS bool, path string, cred *Credential) (*httpResp, error) {
	return e.httpGetWith(ctx, addr, overTLS, path, cred, nil)
}

// httpGetWith sends GET with basic credentials or session cookies.
func (e *engine) httpGetWith(ctx context.Context, addr string, overTLS bool, path string, cred *Credential, cookies []*http.Cookie) (*httpResp, error) {
	req, err := http.NewRequest(http.MethodGet, baseURL(addr, overTLS)+path, nil)
	if err != nil {
		return nil, err
	}
	if cred != nil {
		req.SetBasicAuth(cred.User, cred.Password)
	}
	for _, c := range cookies {
		req.AddCookie(&http.Cookie{Name: c.Name, Value: c.Value})
	}
	return e.httpDo(ctx, addr, overTLS, req)
}

// loginForm is an HTML form with a password field.
type loginForm struct {
	Action    string
	Method    string
	UserField string
	PassField string
	Hidden    url.Values
}

// findLoginForm parses an HTML page and returns its first form with a password input.
func findLoginForm(body []byte) *loginForm {
	doc, err := html.Parse(bytes.NewReader(body))
	if err != nil {
		return nil
	}
	var found *loginForm
	var walk func(n *html.Node, form *loginForm)
	walk = func(n *html.Node, form *loginForm) {
		if found != nil {
			return
		}
		if n.Type == html.ElementNode && n.Data == "form" {
			form = &loginForm{Action: attr(n, "action"), Method: strings.ToUpper(attr(n, "method")), Hidden: url.Values{}}
			if form.Method == "" {
				form.Method = http.MethodGet
			}
		}
		if n.Type == html.ElementNode && n.Data == "input" && form != nil {
			name := attr(n, "name")
			switch strings.ToLower(attr(n, "type")) {
			case "password":
				if form.PassField == "" {
					form.PassField = name
				}
			case "hidden":
				form.Hidden.Set(name, attr(n, "value"))
			case "", "text", "email":
				if form.UserField == "" {
					form.UserField = name
				}
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c, form)
		}
		if n.Type == html.ElementNode && n.Data == "form" && form != nil && form.PassField != "" && found == nil {
			found = form
		}
	}
	walk(doc, nil)
	return found
}

func attr(n *html.Node, key string) string {
	for _, a := range n.Attr {
		if strings.EqualFold(a.Key, key) {
			return a.Val
		}
	}
	return ""
}

// hasPasswordInput reports whether a page asks for a password.
func hasPasswordInput(body []byte) bool { return findLoginForm(body) != nil }

// formSubmit posts one user name and password through the form found at page.
func (e *engine) formSubmit(ctx context.Context, addr string, overTLS bool, page string, f *loginForm, cred Credential) (*httpResp, error) {
	u, err := url.Parse(baseURL(addr, overTLS) + page)
	if err != nil {
		return nil, err
	}
	action, err := u.Parse(f.Action)
	if err != nil {
		return nil, fmt.Errorf("form action %q: %w", f.Action, err)
	}
	if action.Host != u.Host {
		return nil, fmt.Errorf("form action %q points to another host; not followed", f.Action)
	}
	vals := url.Values{}
	for k, v := range f.Hidden {
		vals[k] = v
	}
	if f.UserField != "" {
		vals.Set(f.UserField, cred.User)
	}
	vals.Set(f.PassField, cred.Password)
	var req *http.Request
	if f.Method == http.MethodPost {
		req, err = http.NewRequest(http.MethodPost, action.String(), strings.NewReader(vals.Encode()))
		if err == nil {
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
	} else {
		action.RawQuery = vals.Encode()
		req, err = http.NewRequest(http.MethodGet, action.String(), nil)
	}
	if err != nil {
		return nil, err
	}
	return e.httpDo(ctx, addr, overTLS, req)
}

// formLoginResult judges a form answer against the answer to a certainly wrong password.
func formLoginResult(got, wrong *httpResp) loginOutcome {
	switch {
	case got == nil:
		return loginRefused
	case got.status == http.StatusTooManyRequests || got.status == 423 || got.status == http.StatusServiceUnavailable:
		return loginRefused
	case wrong == nil:
		return loginUnknown
	case got.status != wrong.status && got.status < 400:
		return loginAccepted
	case got.location != wrong.location && got.location != "":
		return loginAccepted
	case hasPasswordInput(wrong.body) && !hasPasswordInput(got.body) && got.status < 400:
		return loginAccepted
	case got.status == wrong.status && got.location == wrong.location:
		return loginRejected
	}
	return loginUnknown
}
