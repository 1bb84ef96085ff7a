package health

import (
	"path"
	"strconv"
	"strings"

	"github.com/siegel-oss/siegel/internal/sbom"
)

// nativeBuilders are npm packages a package depends on to build or load a native addon: a
// direct dependency on one marks the dependent as containing native code.
var nativeBuilders = map[string]string{
	"node-gyp":             "node-gyp",
	"node-gyp-build":       "node-gyp",
	"prebuild-install":     "prebuilt binary",
	"node-pre-gyp":         "prebuilt binary",
	"@mapbox/node-pre-gyp": "prebuilt binary",
	"bindings":             "native addon",
	"nan":                  "native addon",
	"node-addon-api":       "native addon",
	"cmake-js":             "native addon",
}

// FromSBOM turns a document's components into health components, deriving the native-code
// marker (PropNative) from what the document shows: a Go main module built with CGO_ENABLED=1,
// an npm package that depends directly on node-gyp, prebuild-install or another addon builder,
// a Python distribution shipping compiled extension modules (.so, .pyd files) or a platform
// wheel. Code size comes from the property "siegel:size" when present. The document's subject,
// the product itself, is left out.
func FromSBOM(doc *sbom.Document) []Component {
	deps := map[string][]string{}
	for _, d := range doc.Dependencies {
		deps[d.Ref] = d.DependsOn
	}
	names := make(map[string]string, len(doc.Components)) // ref -> npm name
	for _, c := range doc.Components {
		if typ, _ := purlTypeName(c.PURL); typ == "npm" {
			n := c.Name
			if c.Group != "" && !strings.HasPrefix(n, "@") {
				n = c.Group + "/" + n
			}
			names[c.Ref] = n
		}
	}
	out := make([]Component, 0, len(doc.Components))
	for _, c := range doc.Components {
		if doc.Subject != "" && c.Ref == doc.Subject {
			continue
		}
		hc := Component{Ref: c.Ref, Name: c.Name, Version: c.Version, PURL: c.PURL, CPEs: c.CPEs, Type: c.Type}
		if len(c.Properties) > 0 {
			hc.Properties = make(map[string]string, len(c.Properties))
			for _, p := range c.Properties {
				hc.Properties[p.Name] = p.Value
			}
			if s, err := strconv.ParseInt(hc.Properties["siegel:size"], 10, 64); err == nil && s > 0 {
				hc.Size = s
			}
		}
		if marker := nativeMarker(c, deps[c.Ref], names); marker != "" && hc.Properties[PropNative] == "" {
			if hc.Properties == nil {
				hc.Properties = map[string]string{}
			}
			hc.Properties[PropNative] = marker
		}
		out = append(out, hc)
	}
	return out
}

func nativeMarker(c sbom.Component, deps []string, npmNames map[string]string) string {
	typ, _ := purlTypeName(c.PURL)
	switch typ {
	case "golang":
		for _, p := range c.Properties {
			if (p.Name == "CGO_ENABLED" || p.Name == "siegel:go:CGO_ENABLED") && p.Value == "1" {
				return "cgo"
			}
		}
	case "npm":
		for _, d := range deps {
			if m, ok := nativeBuilders[npmNames[d]]; ok {
				return m
			}
		}
	case "pypi":
		for _, f := range c.Files {
			switch strings.ToLower(path.Ext(f)) {
			case ".so", ".pyd", ".dylib":
				return "C extension"
			}
			if strings.HasSuffix(f, ".whl") && !strings.HasSuffix(f, "-none-any.whl") && !strings.Contains(f, "-none-any.") {
				return "C extension (platform wheel)"
			}
		}
		if strings.Contains(c.PURL, "file_name=") && strings.Contains(c.PURL, ".whl") && !strings.Contains(c.PURL, "none-any") {
			return "C extension (platform wheel)"
		}
	}
	return ""
}

// WithFacts adds what a store kept of an uploaded component (see FromSBOM) back to c: its CPEs,
// distribution source package, native-code marker, extractor and code size.
func WithFacts(c Component, cpes []string, sourcePackage, native, extractor string, size int64) Component {
	c.CPEs, c.Size = cpes, size
	for k, v := range map[string]string{propSourcePackage: sourcePackage, PropNative: native, PropExtractor: extractor} {
		if v == "" {
			continue
		}
		if c.Properties == nil {
			c.Properties = map[string]string{}
		}
		c.Properties[k] = v
	}
	return c
}
