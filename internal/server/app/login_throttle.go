package app

import (
	"net/netip"
)

// Trusted reports whether a is one of the trusted proxies, whose X-Forwarded-For is believed.
func (s *Deps) Trusted(a netip.Addr) bool {
	for _, p := range s.TrustedProxies {
		if p.Contains(a) {
			return true
		}
	}
	return false
}
