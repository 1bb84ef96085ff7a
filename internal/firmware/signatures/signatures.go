// Package signatures identifies components embedded in firmware files, and their versions, from
// the version strings the components compile into their binaries ("OpenSSL 1.1.1w  11 Sep 2023",
// "BusyBox v1.36.1 (", "SSH-2.0-dropbear_2022.83").
//
// The signatures are data (signatures.json, embedded), not code: each names a component, how to
// spell it as a package URL and a CPE, literal anchors that a single multi-pattern pass looks for,
// and a regular expression that is only run in a small window around each anchor. Every
// signature carries samples of the bytes it must recognise, and usually traps it must not fall
// for (symbol version tags such as "GLIBC_2.4", format strings, compatibility tables); the tests
// run them all.
package signatures

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"path"
	"regexp"
	"sort"
	"strings"
	"sync"
)

//go:embed signatures.json
var embedded []byte

// Confidence levels of a Hit, strongest first.
const (
	// High: the component's own banner, specific enough to stand alone.
	High = "high"
	// Medium: a bare version string found next to text of the component (a "%s version"
	// format, a usage line): right in the binaries we checked, but depends on layout.
	Medium = "medium"
	// Low: a generic pattern, or one that needs a file-name hint to be believed.
	Low = "low"
	// Referenced: another component quotes this one's version ("libcurl/8.5.0 OpenSSL/3.0.11"):
	// evidence that it is present somewhere in the image, not that it is in this file.
	Referenced = "referenced"
)

var confidenceRank = map[string]int{High: 4, Medium: 3, Low: 2, Referenced: 1}

// Hit is one component version found in one file.
type Hit struct {
	Component  string // the signature's name, CPE-friendly ("openssl", "busybox")
	Version    string
	PURL       string
	CPE        string
	Path       string
	Offset     int64  // of the start of Match in the file
	Match      string // the matched bytes, printable ASCII only, shortened
	Confidence string // High, Medium, Low or Referenced
}

// Signature is one component's entry in signatures.json.
type Signature struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	// PURL and CPE are templates in which "{version}" is replaced by the version found.
	PURL string `json:"purl"`
	CPE  string `json:"cpe"`
	// Files are shell patterns (path.Match) over the base name of files where the component
	// usually lives. A pattern with RequireFile only applies to such files.
	Files []string `json:"files,omitempty"`
	// Sonames are the shared-object names of a library. A file that is not one of Files but
	// names one of these links the library dynamically, so the library's banner in it is a
	// quote from the headers it was built against ("OpenSSL 3.0.16 11 Feb 2025" inside
	// hostapd), not the library itself: such hits are Referenced.
	Sonames   []string  `json:"sonames,omitempty"`
	Patterns  []Pattern `json:"patterns"`
	Samples   []Sample  `json:"samples"`
	Negatives []string  `json:"negatives,omitempty"`
	Note      string    `json:"note,omitempty"`
}

// Pattern is one way a version shows in a binary.
type Pattern struct {
	// Anchor is a literal of at least four bytes that every match contains or sits next to; the
	// scan looks for anchors only.
	Anchor string `json:"anchor"`
	// Regex is run over the bytes from Window before the anchor to Window after its end; the
	// version is the group named "version", or else the first group that took part in the
	// match. The match nearest the anchor wins.
	Regex  string `json:"regex"`
	Window int    `json:"window,omitempty"`
	// Near lists literals one of which must occur within NearWithin bytes of the match.
	Near       []string `json:"near,omitempty"`
	NearWithin int      `json:"near_within,omitempty"`
	// Confidence of hits from this pattern; High when empty.
	Confidence  string `json:"confidence,omitempty"`
	RequireFile bool   `json:"require_file,omitempty"`

	re       *regexp.Regexp
	group    int
	near     [][]byte
	requires []string
}

// Sample is bytes as they appear in a real binary, and the version they must yield. A string in
// JSON can hold any byte below 0x80, so NULs between strings are written \u0000.
type Sample struct {
	Data    string `json:"data"`
	Version string `json:"version"`
	// Path, when set, is the file name the sample is scanned under (for RequireFile patterns).
	Path string `json:"path,omitempty"`
}

// Catalog is a validated set of signatures, ready to scan.
type Catalog struct {
	Signatures []Signature
	anchors    *anchorSet
	byName     map[string]*Signature // first signature of each component name
	// byAnchor[i] lists (signature, pattern) pairs that share anchor i.
	byAnchor [][]patternRef
}

type patternRef struct{ sig, pat int }

// LoadError says which signature and which field of signatures.json is wrong.
type LoadError struct {
	ID    string // signature id, or its index when the id is missing
	Field string
	Err   error
}

func (e *LoadError) Error() string {
	return fmt.Sprintf("signatures: %s: %s: %v", e.ID, e.Field, e.Err)
}

func (e *LoadError) Unwrap() error { return e.Err }

const (
	defaultWindow     = 96
	maxWindow         = 4096
	defaultNearWithin = 512
	minAnchor         = 4
	// maxEvalsPerPattern bounds the regular expression runs one pattern may cost per file, so
	// a file stuffed with an anchor cannot make the scan quadratic.
	maxEvalsPerPattern = 512
	maxMatchLen        = 160
	maxVersionLen      = 64
)

var (
	idRe      = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]*$`)
	versionRe = regexp.MustCompile(`^[0-9A-Za-z][0-9A-Za-z.+_~-]*$`)
)

// Load parses and validates a signatures document.
func Load(doc []byte) (*Catalog, error) {
	var file struct {
		Signatures []Signature `json:"signatures"`
	}
	dec := json.NewDecoder(bytes.NewReader(doc))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&file); err != nil {
		return nil, &LoadError{ID: "(document)", Field: "json", Err: err}
	}
	c := &Catalog{Signatures: file.Signatures, byName: map[string]*Signature{}}
	seen := map[string]bool{}
	anchorIndex := map[string]int{}
	var anchors [][]byte
	for si := range c.Signatures {
		s := &c.Signatures[si]
		id := s.ID
		if id == "" {
			id = fmt.Sprintf("#%d", si)
		}
		fail := func(field string, err error) error { return &LoadError{ID: id, Field: field, Err: err} }
		switch {
		case !idRe.MatchString(s.ID):
			return nil, fail("id", fmt.Errorf("%q is not a lower-case identifier", s.ID))
		case seen[s.ID]:
			return nil, fail("id", errors.New("duplicate id"))
		case s.Name == "":
			return nil, fail("name", errors.New("missing"))
		case !strings.HasPrefix(s.PURL, "pkg:") || !strings.Contains(s.PURL, "@{version}"):
			return nil, fail("purl", fmt.Errorf("%q is not a pkg: template with @{version}", s.PURL))
		case !strings.HasPrefix(s.CPE, "cpe:2.3:") || strings.Count(s.CPE, ":") != 12 || !strings.Contains(s.CPE, ":{version}:"):
			return nil, fail("cpe", fmt.Errorf("%q is not a CPE 2.3 template with {version}", s.CPE))
		case len(s.Patterns) == 0:
			return nil, fail("patterns", errors.New("none"))
		case len(s.Samples) == 0:
			return nil, fail("samples", errors.New("none: every signature needs a sample"))
		}
		seen[s.ID] = true
		if c.byName[s.Name] == nil {
			c.byName[s.Name] = s
		}
		for _, so := range s.Sonames {
			if len(so) < minAnchor {
				return nil, fail("sonames", fmt.Errorf("%q is shorter than %d bytes", so, minAnchor))
			}
		}
		for _, f := range s.Files {
			if _, err := path.Match(f, ""); err != nil {
				return nil, fail("files", fmt.Errorf("%q: %w", f, err))
			}
		}
		for pi := range s.Patterns {
			p := &s.Patterns[pi]
			field := fmt.Sprintf("patterns[%d]", pi)
			if len(p.Anchor) < minAnchor {
				return nil, fail(field+".anchor", fmt.Errorf("%q is shorter than %d bytes", p.Anchor, minAnchor))
			}
			re, err := regexp.Compile(p.Regex)
			if err != nil {
				return nil, fail(field+".regex", err)
			}
			p.re = re
			p.group = re.SubexpIndex("version") // -1: the first group that matched
			if re.NumSubexp() < 1 {
				return nil, fail(field+".regex", errors.New("has no capture group for the version"))
			}
			if p.Window == 0 {
				p.Window = defaultWindow
			}
			if p.Window < 0 || p.Window > maxWindow {
				return nil, fail(field+".window", fmt.Errorf("%d is outside 1..%d", p.Window, maxWindow))
			}
			if p.NearWithin == 0 {
				p.NearWithin = defaultNearWithin
			}
			if p.NearWithin < 0 || p.NearWithin > maxWindow {
				return nil, fail(field+".near_within", fmt.Errorf("%d is outside 1..%d", p.NearWithin, maxWindow))
			}
			for _, n := range p.Near {
				if n == "" {
					return nil, fail(field+".near", errors.New("empty literal"))
				}
				p.near = append(p.near, []byte(n))
			}
			if p.Confidence == "" {
				p.Confidence = High
			}
			if confidenceRank[p.Confidence] == 0 {
				return nil, fail(field+".confidence", fmt.Errorf("%q is not high, medium, low or referenced", p.Confidence))
			}
			if p.RequireFile {
				if len(s.Files) == 0 {
					return nil, fail(field+".require_file", errors.New("set but the signature has no files"))
				}
				p.requires = s.Files
			}
			ai, ok := anchorIndex[p.Anchor]
			if !ok {
				ai = len(anchors)
				anchorIndex[p.Anchor] = ai
				anchors = append(anchors, []byte(p.Anchor))
				c.byAnchor = append(c.byAnchor, nil)
			}
			c.byAnchor[ai] = append(c.byAnchor[ai], patternRef{si, pi})
		}
		for i, sm := range s.Samples {
			if sm.Data == "" || !versionRe.MatchString(sm.Version) {
				return nil, fail(fmt.Sprintf("samples[%d]", i), errors.New("needs data and a version"))
			}
		}
	}
	c.anchors = newAnchorSet(anchors)
	return c, nil
}

// Default returns the embedded catalogue. It panics if signatures.json is invalid, which the
// package's tests rule out.
var Default = sync.OnceValue(func() *Catalog {
	c, err := Load(embedded)
	if err != nil {
		panic(err)
	}
	return c
})

// Scan reports the components found in data, the contents of the file at path, with the
// embedded catalogue.
func Scan(path string, data []byte) []Hit { return Default().Scan(path, data) }

// Scan reports the components found in data, the contents of the file at path (used for
// file-name hints and copied into each Hit). There is one Hit per component and version,
// at the offset where it was first seen, with the strongest confidence any match gave it;
// hits are in order of offset.
func (c *Catalog) Scan(filePath string, data []byte) []Hit {
	base := path.Base(filePath)
	type key struct{ comp, version string }
	found := map[key]int{}
	var hits []Hit
	evals := map[patternRef]int{}
	fileMatch := map[int]int8{} // signature -> 1 matches a file hint, -1 does not
	c.anchors.find(data, func(anchor, start int) bool {
		end := start + len(c.anchors.anchors[anchor])
		for _, ref := range c.byAnchor[anchor] {
			s := &c.Signatures[ref.sig]
			p := &s.Patterns[ref.pat]
			if p.RequireFile {
				m, ok := fileMatch[ref.sig]
				if !ok {
					m = -1
					if matchesAny(p.requires, base) {
						m = 1
					}
					fileMatch[ref.sig] = m
				}
				if m < 0 {
					continue
				}
			}
			if evals[ref] >= maxEvalsPerPattern {
				continue
			}
			evals[ref]++
			lo, hi := max(0, start-p.Window), min(len(data), end+p.Window)
			ms, me, vs, ve, ok := p.nearest(data[lo:hi], start-lo, end-lo)
			if !ok {
				continue
			}
			ms, me, vs, ve = ms+lo, me+lo, vs+lo, ve+lo
			if len(p.near) != 0 && !nearAny(data, ms, me, p.NearWithin, p.near) {
				continue
			}
			version := string(data[vs:ve])
			if len(version) > maxVersionLen || !versionRe.MatchString(version) {
				continue
			}
			k := key{s.Name, version}
			if i, ok := found[k]; ok {
				if confidenceRank[p.Confidence] > confidenceRank[hits[i].Confidence] {
					hits[i].Confidence = p.Confidence
				}
				if int64(ms) < hits[i].Offset {
					hits[i].Offset, hits[i].Match = int64(ms), printable(data[ms:me])
				}
				continue
			}
			found[k] = len(hits)
			hits = append(hits, Hit{
				Component:  s.Name,
				Version:    version,
				PURL:       strings.ReplaceAll(s.PURL, "{version}", purlEscape(version)),
				CPE:        strings.ReplaceAll(s.CPE, "{version}", cpeEscape(version)),
				Path:       filePath,
				Offset:     int64(ms),
				Match:      printable(data[ms:me]),
				Confidence: p.Confidence,
			})
		}
		return true
	})
	c.downgradeQuotes(base, data, hits)
	sort.SliceStable(hits, func(i, j int) bool { return hits[i].Offset < hits[j].Offset })
	return hits
}

// downgradeQuotes marks as Referenced the hits of libraries that this file links dynamically
// (it names their soname) without being one of the library's own files.
func (c *Catalog) downgradeQuotes(base string, data []byte, hits []Hit) {
	for i := range hits {
		s := c.byName[hits[i].Component]
		if s == nil || len(s.Sonames) == 0 || hits[i].Confidence == Referenced || matchesAny(s.Files, base) {
			continue
		}
		for _, so := range s.Sonames {
			if bytes.Contains(data, []byte(so)) {
				hits[i].Confidence = Referenced
				break
			}
		}
	}
}

// nearest runs the pattern over window w, in which the anchor spans [as, ae), and returns the
// match and version group nearest the anchor (a match that covers the anchor has distance 0).
func (p *Pattern) nearest(w []byte, as, ae int) (ms, me, vs, ve int, ok bool) {
	best := -1
	for _, m := range p.re.FindAllSubmatchIndex(w, 16) {
		g := 2 * p.group
		if p.group < 0 {
			// No group named "version": the first group that took part in the match, so
			// alternatives can each capture the version their own way.
			for g = 2; g < len(m) && m[g] < 0; g += 2 {
			}
			if g >= len(m) {
				continue
			}
		}
		if m[g] < 0 || m[g+1] <= m[g] {
			continue
		}
		d := 0
		switch {
		case m[1] <= as:
			d = as - m[1]
		case m[0] >= ae:
			d = m[0] - ae
		}
		if best < 0 || d < best {
			best = d
			ms, me, vs, ve, ok = m[0], m[1], m[g], m[g+1], true
		}
	}
	return
}

func nearAny(data []byte, ms, me, within int, lits [][]byte) bool {
	lo, hi := max(0, ms-within), min(len(data), me+within)
	for _, l := range lits {
		if bytes.Contains(data[lo:hi], l) {
			return true
		}
	}
	return false
}

func matchesAny(patterns []string, base string) bool {
	for _, f := range patterns {
		if ok, _ := path.Match(f, base); ok {
			return true
		}
	}
	return false
}

// printable keeps a match readable in reports: NULs and other control or high bytes become '.'.
func printable(b []byte) string {
	if len(b) > maxMatchLen {
		b = b[:maxMatchLen]
	}
	out := make([]byte, len(b))
	for i, c := range b {
		if c < 0x20 || c > 0x7e {
			c = '.'
		}
		out[i] = c
	}
	return string(out)
}

// purlEscape percent-encodes what a purl version may not hold literally; versions passed
// versionRe already, so only '+' needs it.
func purlEscape(v string) string { return strings.ReplaceAll(v, "+", "%2B") }

// cpeEscape quotes the characters CPE 2.3 formatted strings reserve (NISTIR 7695 5.3.2).
func cpeEscape(v string) string {
	var b strings.Builder
	for _, r := range v {
		if !(r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r == '_' || r == '.' || r == '-') {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return strings.ToLower(b.String())
}
