package lab

import (
	"context"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"time"
)

// InputResult is what one web interface did with crafted input: requests a device that
// validates its input refuses or answers harmlessly, and that one that does not betrays by
// serving a file outside its web root, echoing markup into its page, or no longer answering.
type InputResult struct {
	Address string `json:"address"`
	TLS     bool   `json:"tls"`
	Sent    int    `json:"sent"`
	// Answered counts the crafted requests the interface answered with something other than
	// "too many requests" or "unavailable": only those tell anything about its input handling.
	Answered int      `json:"answered"`
	Findings []string `json:"findings"`
	// Alive: the interface still answered a plain request after the crafted ones.
	Alive bool `json:"alive"`
}

// passwdLine is a line of /etc/passwd: what a path traversal that worked returns.
var passwdLine = regexp.MustCompile(`(?m)^root:[^:\n]*:0:0:`)

// inputProbe is one crafted request: a raw request target, and what in the answer shows the
// input went through unchecked.
type inputProbe struct {
	name   string
	target string // sent as is: the request line's target, escapes included
	header string // an extra header's value (X-Siegel-Probe), "" for none
	bad    func(r *httpResp, token string) string
}

func inputProbes(token string) []inputProbe {
	traversal := func(r *httpResp, _ string) string {
		if r.status < 300 && passwdLine.Match(r.body) {
			return "served /etc/passwd"
		}
		return ""
	}
	reflected := func(r *httpResp, tok string) string {
		if strings.Contains(string(r.body), "<svg onload="+tok+">") {
			return "echoed markup from the request into its page unescaped"
		}
		return ""
	}
	return []inputProbe{
		{name: "path traversal", target: "/../../../../../../../../etc/passwd", bad: traversal},
		{name: "encoded path traversal", target: "/%2e%2e/%2e%2e/%2e%2e/%2e%2e/%2e%2e/%2e%2e/etc/passwd", bad: traversal},
		{name: "encoded slash traversal", target: "/..%2f..%2f..%2f..%2f..%2f..%2fetc%2fpasswd", bad: traversal},
		{name: "CGI parameter traversal", target: "/cgi-bin/luci?file=../../../../../../etc/passwd", bad: traversal},
		{name: "markup in the path", target: "/siegel-" + token + "%3Csvg%20onload=" + token + "%3E", bad: reflected},
		{name: "markup in a parameter", target: "/?q=%3Csvg%20onload=" + token + "%3E&lang=%3Csvg%20onload=" + token + "%3E", bad: reflected},
		{name: "format string", target: "/%25n%25n%25n%25n%25s%25s%25s%25s%25x%25x"},
		{name: "overlong path", target: "/" + strings.Repeat("A", 16<<10)},
		{name: "overlong header", target: "/", header: strings.Repeat("B", 48<<10)},
		{name: "control characters", target: "/%00%0d%0aX-Siegel:%20injected"},
	}
}

// probeInput sends the crafted requests to a web interface, then checks it still answers.
func (e *engine) probeInput(ctx context.Context, addr string, overTLS bool) InputResult {
	res := InputResult{Address: addr, TLS: overTLS, Findings: []string{}}
	token := "siegel" + randomToken(4)
	for _, p := range inputProbes(token) {
		req, err := http.NewRequest(http.MethodGet, baseURL(addr, overTLS)+"/", nil)
		if err != nil {
			continue
		}
		// The target goes out exactly as written: Opaque keeps the client from cleaning or
		// re-escaping it.
		req.URL.Opaque = p.target
		if p.header != "" {
			req.Header.Set("X-Siegel-Probe", p.header)
		}
		res.Sent++
		r, err := e.httpDo(ctx, addr, overTLS, req)
		if err != nil || r.status == http.StatusTooManyRequests || r.status == http.StatusServiceUnavailable {
			continue
		}
		res.Answered++
		if p.bad != nil {
			if what := p.bad(r, token); what != "" {
				res.Findings = append(res.Findings, fmt.Sprintf("%s (%s): %s", p.name, shorten(p.target, 80), what))
			}
		}
	}
	for try := range 3 {
		if r, err := e.httpGet(ctx, addr, overTLS, "/", nil); err == nil && r.status > 0 {
			res.Alive = true
			break
		}
		if try < 2 {
			select {
			case <-ctx.Done():
				return res
			case <-time.After(time.Second):
			}
		}
	}
	if !res.Alive {
		res.Findings = append(res.Findings, "no longer answered a plain request after the crafted ones")
	}
	return res
}

func shorten(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + fmt.Sprintf("… (%d bytes)", len(s))
}
