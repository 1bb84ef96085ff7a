package server

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// TestNewProductSameAnswers: the web form and the API refuse the same bad input with 400 and
// the same words (a bad CRA class was a 500 on the form).
func TestNewProductSameAnswers(t *testing.T) {
	e := newEnv(t)
	b := e.loggedIn(t, "admin@acme.example", "admin")
	for _, tc := range []struct {
		name, category, class, want string
	}{
		{"HomeRouter", "router", "very-important", "craClass must be"},
		{"  ", "router", "default", "name is required"},
	} {
		var api apiError
		code := e.do("POST", "/api/v1/products", "acme-admin", "application/json", jsonBody(map[string]string{"name": tc.name, "category": tc.category, "craClass": tc.class}), &api)
		if code != http.StatusBadRequest || !strings.Contains(api.Error, tc.want) {
			t.Errorf("API %q/%q: %d %q", tc.name, tc.class, code, api.Error)
		}
		code, page, _ := b.post("/products", url.Values{"name": {tc.name}, "category": {tc.category}, "craClass": {tc.class}})
		if code != http.StatusBadRequest || !strings.Contains(page, tc.want) {
			t.Errorf("form %q/%q: %d %q", tc.name, tc.class, code, page)
		}
	}
}

// loggedIn creates a user of ACME with role and returns a browser logged in as them.
func (e *env) loggedIn(t *testing.T, email, role string) *browser {
	t.Helper()
	return e.loggedInAt(t, "ACME", email, role)
}

// loggedInAt creates a user of the organization with role and returns a browser logged in as them.
func (e *env) loggedInAt(t *testing.T, orgName, email, role string) *browser {
	t.Helper()
	org, _ := e.st.OrganizationByName(t.Context(), orgName)
	if _, err := e.st.CreateUser(t.Context(), org.ID, email, "correct horse battery", role); err != nil {
		t.Fatal(err)
	}
	b := e.browser(t)
	if code, _, _ := b.post("/login", url.Values{"email": {email}, "password": {"correct horse battery"}}); code != http.StatusSeeOther {
		t.Fatalf("login %d", code)
	}
	return b
}
