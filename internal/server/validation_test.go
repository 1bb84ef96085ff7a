package server

import (
	"encoding/json"
	"html"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/siegel-oss/siegel/internal/server/app"
)

var formErrorRE = regexp.MustCompile(`<p class="error" role="alert" id="page-error">([^<]*)</p>`)

// TestValidationSameAnswer: a request its sender must change gets the same status and the same
// message from the API (as JSON) and from the page (on the form it came from).
func TestValidationSameAnswer(t *testing.T) {
	e := newEnv(t)
	b, _ := e.teamMember(t, "boss@acme.example", "admin")
	boss, _ := e.st.UserByEmail(t.Context(), "boss@acme.example")
	var prod app.ProductView
	e.do("POST", "/api/v1/products", "acme-admin", "application/json", jsonBody(map[string]string{"name": "HomeRouter", "category": "router"}), &prod)
	rel := e.addRelease(prod.ID, "4.2.0", uploadCDX)
	e.do("PUT", "/api/v1/releases/"+itoa(rel.ID)+"/findings/CVE-2026-1001/vex", "acme-admin", "application/json", jsonBody(map[string]string{"purl": "pkg:pypi/example-lib@2.3.0", "status": "affected"}), nil)
	for _, c := range []struct {
		name        string
		method, api string
		body        any
		page        string
		form        url.Values
		status      int
	}{
		{"bad CRA class", "POST", "/api/v1/products", map[string]string{"name": "Camera", "craClass": "very-critical"},
			"/products", url.Values{"name": {"Camera"}, "craClass": {"very-critical"}}, 400},
		{"product name taken", "POST", "/api/v1/products", map[string]string{"name": "HomeRouter"},
			"/products", url.Values{"name": {"HomeRouter"}}, 409},
		{"correction without a reason", "PUT", "/api/v1/releases/" + itoa(rel.ID), map[string]string{"supportEnd": "2034-06"},
			"/releases/" + itoa(rel.ID) + "/edit", url.Values{"version": {"4.2.0"}, "placedOnMarket": {"2026-03-01"}, "supportEnd": {"2034-06"}}, 400},
		{"role no user can have", "PUT", "/api/v1/users/" + itoa(boss.ID) + "/role", map[string]string{"role": "authority"},
			"/settings/users/" + itoa(boss.ID) + "/role", url.Values{"role": {"authority"}}, 400},
		{"removal of a release with evidence", "POST", "/api/v1/releases/" + itoa(rel.ID) + "/remove", map[string]string{"reason": "x"},
			"/releases/" + itoa(rel.ID) + "/remove", url.Values{"reason": {"x"}}, 409},
	} {
		t.Run(c.name, func(t *testing.T) {
			code, body := e.raw(c.method, c.api, "acme-admin", "application/json", jsonBody(c.body))
			var apiErr apiError
			if err := json.Unmarshal(body, &apiErr); err != nil || code != c.status || apiErr.Code != c.status || apiErr.Error == "" {
				t.Fatalf("API: %d %s", code, body)
			}
			pcode, page, _ := b.post(c.page, c.form)
			m := formErrorRE.FindStringSubmatch(page)
			if pcode != c.status || m == nil {
				t.Fatalf("page: %d %s", pcode, text(t, page))
			}
			if shown := html.UnescapeString(m[1]); !strings.HasSuffix(shown, apiErr.Error) {
				t.Errorf("the page says %q, the API %q", shown, apiErr.Error)
			}
		})
	}
}
