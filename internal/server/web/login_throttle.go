package web

import (
	"context"
	"fmt"
	"net/http"
	"net/netip"
	"strings"
	"time"

	"github.com/siegel-oss/siegel/internal/store"
)

// Login throttling: counters in the store, so that every server behind a load balancer counts
// the same attempts, and no memory in the process grows with the number of clients.
var (
	// clientThrottle bounds the attempts from one client address (an IPv6 client: its /64).
	clientThrottle = store.Throttle{Limit: 10, Window: time.Minute}
	// accountThrottle bounds the attempts on one account from anywhere, so that guessing spread
	// over many addresses is slow too; a good login resets it.
	accountThrottle = store.Throttle{Limit: 10, Window: 15 * time.Minute}
)

// loginAllowed counts a login attempt for the account and the client and says how long to wait
// when either is over its limit (0: go ahead).
func (s *Site) loginAllowed(ctx context.Context, r *http.Request, email string) (time.Duration, error) {
	account, client := accountThrottle, clientThrottle
	account.Key = "account:" + strings.ToLower(strings.TrimSpace(email))
	client.Key = "client:" + clientKey(s.clientAddr(r))
	return s.Store.CountLoginAttempt(ctx, s.Now(), account, client)
}

// loginSucceeded forgets the account's failed attempts.
func (s *Site) loginSucceeded(ctx context.Context, email string) error {
	return s.Store.ResetLoginAttempts(ctx, "account:"+strings.ToLower(strings.TrimSpace(email)))
}

// tooManyAttempts is the message for a throttled login.
func tooManyAttempts(wait time.Duration) string {
	return fmt.Sprintf("Too many sign-in attempts; try again in %s.", wait.Round(time.Second))
}

// clientKey is what a client is counted under: its IPv4 address, or the /64 of an IPv6 one
// (one subscriber holds a whole /64).
func clientKey(a netip.Addr) string {
	if a.Is6() {
		p, _ := a.Prefix(64)
		return p.String()
	}
	return a.String()
}

// clientAddr is the address of the client that sent r: the peer, or, when the peer is one of the
// trusted proxies, the address the proxies recorded in X-Forwarded-For or Forwarded (the last
// one added by a proxy that is not trusted). Headers from other peers are ignored: anyone can
// write them.
func (s *Site) clientAddr(r *http.Request) netip.Addr {
	peer, err := netip.ParseAddrPort(r.RemoteAddr)
	if err != nil {
		return netip.IPv6Unspecified()
	}
	addr := peer.Addr().Unmap()
	if !s.Trusted(addr) {
		return addr
	}
	hops := forwardedFor(r.Header)
	for i := len(hops) - 1; i >= 0; i-- {
		a, ok := parseHop(hops[i])
		if !ok {
			return addr // a hop that cannot be read: count the last proxy that can
		}
		addr = a
		if !s.Trusted(a) {
			break
		}
	}
	return addr
}

// forwardedFor lists the client addresses proxies recorded, oldest first: the "for" parameters
// of Forwarded (RFC 7239) when present, else X-Forwarded-For.
func forwardedFor(h http.Header) []string {
	var hops []string
	for _, v := range h.Values("Forwarded") {
		for elem := range strings.SplitSeq(v, ",") {
			for pair := range strings.SplitSeq(elem, ";") {
				k, val, ok := strings.Cut(strings.TrimSpace(pair), "=")
				if ok && strings.EqualFold(k, "for") {
					hops = append(hops, strings.Trim(val, `"`))
				}
			}
		}
	}
	if len(hops) > 0 {
		return hops
	}
	for _, v := range h.Values("X-Forwarded-For") {
		for hop := range strings.SplitSeq(v, ",") {
			hops = append(hops, strings.TrimSpace(hop))
		}
	}
	return hops
}

// parseHop reads one recorded address: "192.0.2.7", "192.0.2.7:4711", "[2001:db8::1]:4711" or
// "2001:db8::1".
func parseHop(s string) (netip.Addr, bool) {
	if ap, err := netip.ParseAddrPort(s); err == nil {
		return ap.Addr().Unmap(), true
	}
	a, err := netip.ParseAddr(strings.TrimSuffix(strings.TrimPrefix(s, "["), "]"))
	return a.Unmap(), err == nil
}

// secureCookies reports whether the session cookie must be Secure: always when the configured
// public URL is https, else when this request came over TLS, directly or (as a trusted proxy
// says) to the proxy.
func (s *Site) secureCookies(r *http.Request) bool {
	if strings.HasPrefix(strings.ToLower(s.BaseURL), "https://") || r.TLS != nil {
		return true
	}
	peer, err := netip.ParseAddrPort(r.RemoteAddr)
	return err == nil && s.Trusted(peer.Addr().Unmap()) && strings.EqualFold(r.Header.Get("X-Forwarded-Proto"), "https")
}
