package sbom

import (
	"fmt"

	"github.com/siegel-oss/siegel/internal/input"
)

// Field length limits, in bytes. Real identifiers are far shorter (npm caps names at 214
// characters, a long Maven coordinate is about 150); the limits keep a hostile document from
// storing megabytes in a field that every page, report and match then carries.
const (
	MaxNameLen        = 1024    // names, groups, suppliers, authors, refs' display parts
	MaxVersionLen     = 256     // versions
	MaxIdentifierLen  = 4096    // purls, bom-refs, CPEs, SWID tags, file paths, hash values
	MaxDescriptionLen = 1 << 16 // descriptions, property values, licence expressions
)

// checkComponent refuses a component with a field over its limit, naming the component by its
// position in reading order and its ref.
func checkComponent(file string, n int, c *Component) error {
	fail := func(field string, v string, limit int) error {
		return &input.Error{File: file, Pointer: fmt.Sprintf("component %d (ref %q)", n+1, clip(c.Ref)), Rule: "field length",
			Err: fmt.Errorf("%s is %d bytes long; the limit is %d", field, len(v), limit)}
	}
	for _, f := range []struct {
		name  string
		v     string
		limit int
	}{
		{"ref", c.Ref, MaxIdentifierLen}, {"name", c.Name, MaxNameLen}, {"group", c.Group, MaxNameLen},
		{"version", c.Version, MaxVersionLen}, {"purl", c.PURL, MaxIdentifierLen}, {"supplier", c.Supplier, MaxNameLen},
		{"author", c.Author, MaxNameLen}, {"author contact", c.AuthorContact, MaxNameLen}, {"SWID tag", c.SWID, MaxIdentifierLen},
		{"type", c.Type, MaxNameLen}, {"scope", c.Scope, MaxNameLen}, {"description", c.Description, MaxDescriptionLen},
	} {
		if len(f.v) > f.limit {
			return fail(f.name, f.v, f.limit)
		}
	}
	for _, v := range c.CPEs {
		if len(v) > MaxIdentifierLen {
			return fail("a CPE", v, MaxIdentifierLen)
		}
	}
	for _, v := range c.Files {
		if len(v) > MaxIdentifierLen {
			return fail("a file name", v, MaxIdentifierLen)
		}
	}
	for _, h := range c.Hashes {
		if len(h.Value) > MaxIdentifierLen {
			return fail("a hash value", h.Value, MaxIdentifierLen)
		}
	}
	for _, l := range c.Licenses {
		if len(l.Expression) > MaxDescriptionLen {
			return fail("a licence expression", l.Expression, MaxDescriptionLen)
		}
	}
	for _, p := range c.Properties {
		if len(p.Name) > MaxNameLen {
			return fail("a property name", p.Name, MaxNameLen)
		}
		if len(p.Value) > MaxDescriptionLen {
			return fail("the value of property "+clip(p.Name), p.Value, MaxDescriptionLen)
		}
	}
	return nil
}

// checkLimits applies checkComponent to every component of doc.
func checkLimits(file string, doc *Document) error {
	for i := range doc.Components {
		if err := checkComponent(file, i, &doc.Components[i]); err != nil {
			return err
		}
	}
	return nil
}

// limitEach wraps a streaming consumer so that every component is checked before it is handed on.
func limitEach(file string, each func(Component) error) func(Component) error {
	if each == nil {
		return nil
	}
	n := 0
	return func(c Component) error {
		if err := checkComponent(file, n, &c); err != nil {
			return err
		}
		n++
		return each(c)
	}
}

// clip shortens a value quoted in an error message.
func clip(s string) string {
	if len(s) > 60 {
		return s[:60] + "…"
	}
	return s
}
