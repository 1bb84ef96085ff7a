package purl

import "testing"

// Examples from the purl specification's test suite and from SBOM tools' output: the same
// package in any version and spelling has one base.
func TestBase(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"pkg:npm/lodash@4.17.21", "pkg:npm/lodash"},
		{"pkg:npm/%40angular/core@16.0.0", "pkg:npm/%40angular/core"},
		{"pkg:npm/@angular/core@16.0.0", "pkg:npm/%40angular/core"},
		{"pkg:NPM/lodash@1", "pkg:npm/lodash"},
		{"pkg:pypi/Django_Rest@3.1?file_name=x.whl", "pkg:pypi/django-rest"},
		{"pkg:deb/debian/curl@7.50.3-1?arch=i386&distro=jessie", "pkg:deb/debian/curl"},
		{"pkg:maven/org.apache.xmlgraphics/batik-anim@1.9.1?classifier=sources", "pkg:maven/org.apache.xmlgraphics/batik-anim"},
		{"pkg:golang/github.com/gorilla/context@234fd47e07d1004f0aed9c#api", "pkg:golang/github.com/gorilla/context"},
		{"pkg:github/package-url/purl-spec@244fd47e07d1004f0aed9c", "pkg:github/package-url/purl-spec"},
		{"pkg:generic/openssl", "pkg:generic/openssl"},
		{"", ""},
		{"not a purl@1.0", "not a purl"},
		{"pkg:broken/@scope@1#x", "pkg:broken/@scope"},
	} {
		if got := Base(tc.in); got != tc.want {
			t.Errorf("Base(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func FuzzBase(f *testing.F) {
	f.Add("pkg:npm/%40angular/core@16.0.0?x=y#z")
	f.Add("pkg:/@@")
	f.Fuzz(func(t *testing.T, s string) {
		b := Base(s)
		if Base(b) != b {
			t.Errorf("Base is not idempotent: %q -> %q -> %q", s, b, Base(b))
		}
	})
}
