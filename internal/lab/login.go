package lab

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"sync"
	"time"
)

// LoginResult is what the credential list did on one login service.
type LoginResult struct {
	Service  string       `json:"service"` // telnet, ssh, http-basic, http-form
	Address  string       `json:"address"`
	Path     string       `json:"path,omitempty"`
	Tried    int          `json:"tried"`
	Accepted []Credential `json:"accepted"`
	Refused  int          `json:"refused"` // attempts the service would not take (locked, closed)
	Note     string       `json:"note,omitempty"`
}

// BruteForce is the measurement of brute-force protection on one login service.
type BruteForce struct {
	Service   string    `json:"service"`
	Address   string    `json:"address"`
	Attempts  int       `json:"attempts"`
	Millis    []float64 `json:"ms"`       // answer time of each wrong attempt
	Outcomes  []string  `json:"outcomes"` // rejected, refused, ...
	Slowdown  bool      `json:"slowdown"` // later failures took markedly longer
	Locked    bool      `json:"locked"`   // attempts refused, or the right password refused
	LockedFor string    `json:"lockedFor,omitempty"`
	// RightAfter says what the known right password did after the failures: accepted,
	// rejected, refused, or "" when no right password is known.
	RightAfter string `json:"rightPasswordAfter,omitempty"`
	Protected  bool   `json:"protected"`
	Detail     string `json:"detail"`
}

// loginTarget is one service that takes a user name and a password.
type loginTarget struct {
	kind    string
	addr    string
	overTLS bool
	path    string
	form    *loginForm
	wrong   *httpResp // the answer to a certainly wrong form login
}

func (e *engine) attempt(ctx context.Context, t *loginTarget, c Credential) (loginOutcome, time.Duration) {
	t0 := time.Now()
	switch t.kind {
	case "telnet":
		return e.telnetLogin(ctx, t.addr, c)
	case "ssh":
		o, _, _ := e.sshAuth(ctx, t.addr, c.User, c.Password, false)
		return o, time.Since(t0)
	case "http-basic":
		r, err := e.httpGet(ctx, t.addr, t.overTLS, t.path, &c)
		d := time.Since(t0)
		switch {
		case err != nil:
			return loginRefused, d
		case r.status == http.StatusUnauthorized:
			return loginRejected, d
		case r.status == http.StatusTooManyRequests || r.status == http.StatusForbidden || r.status == 423 || r.status == http.StatusServiceUnavailable:
			return loginRefused, d
		case r.status < 400:
			return loginAccepted, d
		}
		return loginUnknown, d
	case "http-form":
		r, err := e.formSubmit(ctx, t.addr, t.overTLS, t.path, t.form, c)
		if err != nil {
			return loginRefused, time.Since(t0)
		}
		return formLoginResult(r, t.wrong), time.Since(t0)
	}
	return loginUnknown, 0
}

// tryCredentials runs the list against a target, a few attempts at a time.
func (e *engine) tryCredentials(ctx context.Context, t *loginTarget) LoginResult {
	res := LoginResult{Service: t.kind, Address: t.addr, Path: t.path, Accepted: []Credential{}}
	creds := e.cfg.Credentials
	if len(creds) > e.cfg.MaxLogins && e.cfg.MaxLogins > 0 {
		res.Note = "tried the first " + itoa(e.cfg.MaxLogins) + " of " + itoa(len(creds)) + " credentials (--max-logins)"
		e.skip("credentials: only the first %d of %d credentials were tried per service (--max-logins)", e.cfg.MaxLogins, len(creds))
		creds = creds[:e.cfg.MaxLogins]
	}
	var mu sync.Mutex
	sem := make(chan struct{}, 4)
	var wg sync.WaitGroup
	for _, c := range creds {
		if ctx.Err() != nil {
			break
		}
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			o, _ := e.attempt(ctx, t, c)
			mu.Lock()
			defer mu.Unlock()
			res.Tried++
			switch o {
			case loginAccepted:
				res.Accepted = append(res.Accepted, c)
			case loginRefused:
				res.Refused++
			}
		})
	}
	wg.Wait()
	slices.SortFunc(res.Accepted, func(a, b Credential) int { return cmpStr(a.User+"\x00"+a.Password, b.User+"\x00"+b.Password) })
	return res
}

// measureBruteForce makes n wrong logins in a row, then tries the right password when one is
// known, and watches a lock for release.
func (e *engine) measureBruteForce(ctx context.Context, t *loginTarget, user string, right *Credential, n int) BruteForce {
	bf := BruteForce{Service: t.kind, Address: t.addr, Attempts: n}
	refused := 0
	for range n {
		if ctx.Err() != nil {
			break
		}
		o, d := e.attempt(ctx, t, Credential{User: user, Password: "siegel-" + randomToken(8)})
		bf.Millis = append(bf.Millis, ms(d))
		bf.Outcomes = append(bf.Outcomes, o.String())
		if o == loginRefused {
			refused++
		}
	}
	if len(bf.Millis) >= 6 {
		first, last := median(bf.Millis[:3]), median(bf.Millis[len(bf.Millis)-3:])
		bf.Slowdown = last >= 2*first && last-first >= 200
	}
	bf.Locked = refused > 0
	lockStart := time.Now()
	if right != nil {
		o, _ := e.attempt(ctx, t, *right)
		bf.RightAfter = o.String()
		if o != loginAccepted {
			bf.Locked = true
		}
	}
	if bf.Locked {
		bf.LockedFor = e.watchLock(ctx, t, user, right, lockStart)
	}
	bf.Protected = bf.Locked || bf.Slowdown
	switch {
	case bf.Locked:
		bf.Detail = "locked after " + itoa(n) + " failures (" + itoa(refused) + " attempts refused"
		if bf.RightAfter != "" {
			bf.Detail += ", the right password " + bf.RightAfter
		}
		bf.Detail += "); " + bf.LockedFor
	case bf.Slowdown:
		bf.Detail = "answers slowed down after failures: median " + ftoa(median(bf.Millis[:3])) + " ms at first, " + ftoa(median(bf.Millis[len(bf.Millis)-3:])) + " ms at the end"
	default:
		bf.Detail = itoa(len(bf.Millis)) + " wrong logins in a row were all answered without delay or lock"
		if bf.RightAfter == "accepted" {
			bf.Detail += ", and the right password was accepted right after"
		}
	}
	return bf
}

// watchLock tries again every two seconds, within the watch time, until the service takes
// logins again.
func (e *engine) watchLock(ctx context.Context, t *loginTarget, user string, right *Credential, since time.Time) string {
	deadline := since.Add(e.cfg.LockoutWatch)
	for time.Now().Before(deadline) {
		select {
		case <-ctx.Done():
			return "lock not watched to its end (run stopped)"
		case <-time.After(2 * time.Second):
		}
		var o loginOutcome
		if right != nil {
			o, _ = e.attempt(ctx, t, *right)
			if o == loginAccepted {
				return "released after about " + time.Since(since).Round(time.Second).String()
			}
		} else {
			o, _ = e.attempt(ctx, t, Credential{User: user, Password: "siegel-" + randomToken(8)})
			if o == loginRejected {
				return "released after about " + time.Since(since).Round(time.Second).String()
			}
		}
	}
	return "still locked after " + e.cfg.LockoutWatch.String() + " (--lockout-watch)"
}

func median(xs []float64) float64 {
	s := slices.Clone(xs)
	sort.Float64s(s)
	return s[len(s)/2]
}

func randomToken(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func randUint32() uint32 {
	var b [4]byte
	_, _ = rand.Read(b[:])
	return uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
}

func cmpStr(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func itoa(n int) string { return strconv.Itoa(n) }

func ftoa(f float64) string { return strconv.FormatFloat(f, 'f', 0, 64) }
