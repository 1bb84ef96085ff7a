package purl

import (
	"strings"

	"github.com/package-url/packageurl-go"
)

// Base returns the purl of the package without version, qualifiers and subpath, normalized as
// the purl specification's type rules say (lower-case npm and PyPI names, ...): the same package
// in any version, from any tool, gets the same base. A string that is not a valid purl is cut at
// its version, qualifiers and subpath as it is spelled, so that it still groups with itself; ""
// stays "".
func Base(s string) string {
	s = strings.TrimSpace(s)
	if s == "" {
		return ""
	}
	if b, ok := normalizedBase(s); ok {
		return b
	}
	if i := strings.IndexAny(s, "?#"); i >= 0 {
		s = s[:i]
	}
	// The version follows the first '@' of the last segment that does not open it (an npm
	// scope's '@' does).
	seg := strings.LastIndexByte(s, '/') + 1
	if at := strings.IndexByte(s[min(seg+1, len(s)):], '@'); at >= 0 {
		s = s[:min(seg+1, len(s))+at]
	}
	if b, ok := normalizedBase(s); ok {
		return b
	}
	return strings.TrimSpace(s)
}

func normalizedBase(s string) (string, bool) {
	p, err := packageurl.FromString(s)
	if err != nil || p.Normalize() != nil {
		return "", false
	}
	p.Version, p.Qualifiers, p.Subpath = "", nil, ""
	b := p.ToString()
	// Only a base that reads back as itself is canonical.
	if q, err := packageurl.FromString(b); err != nil || q.Normalize() != nil || q.ToString() != b {
		return "", false
	}
	return b, true
}

// Version returns the version a purl names, "" when it names none or does not parse.
func Version(s string) string {
	p, err := packageurl.FromString(strings.TrimSpace(s))
	if err != nil {
		return ""
	}
	return p.Version
}
