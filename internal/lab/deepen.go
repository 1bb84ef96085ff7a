package lab

import (
	"context"
	"net/netip"
	"slices"
	"strings"
	"sync"
)

// deepen runs the tests that build on the services found: TLS, SSH, web interfaces, logins
// with the credential list, and brute-force protection.
func (e *engine) deepen(ctx context.Context, a netip.Addr, r *Result) {
	var mu sync.Mutex
	var wg sync.WaitGroup
	var targets []*loginTarget
	admins := map[string]*AdminResult{}
	now := e.cfg.Now()
	for _, s := range r.Services {
		if s.Proto != "tcp" {
			continue
		}
		addr := hostPort(a, s.Port)
		switch s.Name {
		case "ssh":
			wg.Go(func() {
				ss := e.sshProbe(ctx, addr)
				if ss == nil {
					return
				}
				mu.Lock()
				defer mu.Unlock()
				r.SSH = append(r.SSH, *ss)
				if ss.PasswordAuth {
					targets = append(targets, &loginTarget{kind: "ssh", addr: addr})
				}
			})
		case "telnet":
			mu.Lock()
			targets = append(targets, &loginTarget{kind: "telnet", addr: addr})
			mu.Unlock()
		case "https", "tls":
			wg.Go(func() {
				ts := e.tlsProbe(ctx, addr, now)
				mu.Lock()
				r.TLS = append(r.TLS, *ts)
				mu.Unlock()
			})
		}
		if s.Name == "http" || s.Name == "https" {
			wg.Go(func() {
				ar, ts := e.webInterface(ctx, addr, s.Name == "https")
				// Before the logins and the brute-force measurement, which may lock the
				// interface.
				in := e.probeInput(ctx, addr, s.Name == "https")
				mu.Lock()
				defer mu.Unlock()
				admins[addr] = ar
				targets = append(targets, ts...)
				r.Input = append(r.Input, in)
			})
		}
	}
	wg.Wait()
	if len(e.cfg.Credentials) == 0 {
		e.skip("credentials: no credential list given, so no default login was tried")
	}
	// Logins: each service on its own, the list first, then the brute-force measurement.
	for _, t := range targets {
		wg.Go(func() {
			var lr LoginResult
			if len(e.cfg.Credentials) > 0 {
				lr = e.tryCredentials(ctx, t)
			} else {
				lr = LoginResult{Service: t.kind, Address: t.addr, Path: t.path, Accepted: []Credential{}}
			}
			var right *Credential
			if len(lr.Accepted) > 0 {
				right = &lr.Accepted[0]
				if ar := admins[t.addr]; ar != nil && strings.HasPrefix(t.kind, "http") {
					e.withLogin(ctx, ar, t, *right)
				}
			}
			var bf *BruteForce
			if e.cfg.BruteForceAttempts > 0 {
				user := "admin"
				if right != nil {
					user = right.User
				} else if t.kind == "telnet" || t.kind == "ssh" {
					user = "root"
				}
				b := e.measureBruteForce(ctx, t, user, right, e.cfg.BruteForceAttempts)
				bf = &b
			}
			mu.Lock()
			defer mu.Unlock()
			r.Logins = append(r.Logins, lr)
			if bf != nil {
				r.BruteForce = append(r.BruteForce, *bf)
			}
		})
	}
	wg.Wait()
	if e.cfg.BruteForceAttempts <= 0 {
		e.skip("brute-force protection: not measured (--brute-force 0)")
	}
	for _, ar := range admins {
		r.Admin = append(r.Admin, *ar)
	}
	slices.SortFunc(r.Admin, func(x, y AdminResult) int { return cmpStr(x.Address, y.Address) })
	slices.SortFunc(r.Logins, func(x, y LoginResult) int { return cmpStr(x.Service+x.Address, y.Service+y.Address) })
	slices.SortFunc(r.BruteForce, func(x, y BruteForce) int { return cmpStr(x.Service+x.Address, y.Service+y.Address) })
	slices.SortFunc(r.TLS, func(x, y TLSService) int { return cmpStr(x.Address, y.Address) })
	slices.SortFunc(r.Input, func(x, y InputResult) int { return cmpStr(x.Address, y.Address) })
	slices.SortFunc(r.SSH, func(x, y SSHService) int { return cmpStr(x.Address, y.Address) })
	if len(r.TLS) > 0 {
		e.skip(TLSNotTested)
	}
}
