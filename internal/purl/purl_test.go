package purl

import (
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestBuilders(t *testing.T) {
	tests := []struct {
		name, got, want string
	}{
		{"pypi normalized", PyPI("Django_REST.framework", "3.14.0"), "pkg:pypi/django-rest-framework@3.14.0"},
		{"npm scoped", NPM("@babel/core", "7.24.0"), "pkg:npm/%40babel/core@7.24.0"},
		{"npm plain", NPM("lodash", "4.17.21"), "pkg:npm/lodash@4.17.21"},
		{"go module", Golang("github.com/google/go-cmp", "v0.7.0"), "pkg:golang/github.com/google/go-cmp@v0.7.0"},
		{"go stdlib", Golang("stdlib", "go1.26.8"), "pkg:golang/stdlib@go1.26.8"},
		{"maven", Maven("org.apache.logging.log4j", "log4j-core", "2.17.1"), "pkg:maven/org.apache.logging.log4j/log4j-core@2.17.1"},
		{"deb qualifiers", New("deb", "debian", "libssl3", "3.0.11-1~deb12u2", "arch", "amd64", "distro", "debian-12", "upstream", ""),
			"pkg:deb/debian/libssl3@3.0.11-1~deb12u2?arch=amd64&distro=debian-12"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.got != tt.want {
				t.Errorf("got %s, want %s", tt.got, tt.want)
			}
			if _, err := Parse(tt.got); err != nil {
				t.Errorf("Parse(%s): %v", tt.got, err)
			}
		})
	}
}

func TestParseRejects(t *testing.T) {
	for _, s := range []string{"", "npm/lodash@1", "pkg:", "pkg:/x", "pkg:npm"} {
		if _, err := Parse(s); err == nil {
			t.Errorf("Parse(%q) accepted an invalid purl", s)
		}
	}
}

// pep503 is PEP 503's normalization as the PEP writes it, a regular expression: the reference
// NormalizePyPI must agree with.
var pep503 = regexp.MustCompile(`[-_.]+`)

func pep503Name(name string) string {
	return pep503.ReplaceAllString(strings.ToLower(strings.TrimSpace(name)), "-")
}

func TestNormalizePyPI(t *testing.T) {
	for name, want := range map[string]string{
		"requests":           "requests",
		"Django":             "django",
		"zope.interface":     "zope-interface",
		"typing_extensions":  "typing-extensions",
		"Foo.._-Bar":         "foo-bar",
		"_private":           "-private",
		"trailing.":          "trailing-",
		"a--b":               "a-b",
		" spaced ":           "spaced",
		"ÄPFEL_Kuchen":       "äpfel-kuchen",
		"":                   "",
		"already-normalized": "already-normalized",
	} {
		if got := NormalizePyPI(name); got != want {
			t.Errorf("NormalizePyPI(%q) = %q, want %q", name, got, want)
		}
		if ref := pep503Name(name); ref != want {
			t.Errorf("reference normalization of %q is %q, table says %q", name, ref, want)
		}
	}
}

func FuzzNormalizePyPI(f *testing.F) {
	for _, s := range []string{"Zope.Interface", "a__b", "-x-", "ÄÖ.ü", "\xff_a"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		if !utf8.ValidString(name) {
			return // names come from JSON documents: valid UTF-8
		}
		if got, want := NormalizePyPI(name), pep503Name(name); got != want {
			t.Errorf("NormalizePyPI(%q) = %q, PEP 503 gives %q", name, got, want)
		}
	})
}
