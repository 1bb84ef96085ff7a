package sbom

import (
	"bytes"
	"cmp"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	gocmp "github.com/google/go-cmp/cmp"
	"github.com/siegel-oss/siegel/internal/input"
)

// essence is what no conversion may lose: each component's identity, purl and hashes, and every
// dependency edge, with refs replaced by component identities (formats rename refs).
type essence struct {
	Components []string // "name@version purl hashes..." sorted
	Edges      []string // "from -> to" sorted
}

func essenceOf(d *Document) essence {
	id := make(map[string]string, len(d.Components))
	var e essence
	for _, c := range d.Components {
		hs := make([]string, 0, len(c.Hashes))
		for _, h := range c.Hashes {
			hs = append(hs, string(h.Algorithm)+":"+strings.ToLower(h.Value))
		}
		slices.Sort(hs)
		key := c.Name + "@" + c.Version + " " + c.PURL
		id[c.Ref] = key
		e.Components = append(e.Components, key+" "+strings.Join(hs, ","))
	}
	for _, dep := range d.Dependencies {
		for _, to := range dep.DependsOn {
			e.Edges = append(e.Edges, id[dep.Ref]+" -> "+id[to])
		}
	}
	slices.Sort(e.Components)
	e.Edges = slices.Compact(slices.Sorted(slices.Values(e.Edges)))
	return e
}

// fixtureDocuments returns every SBOM fixture under testdata that decodes without error.
func fixtureDocuments(t *testing.T) map[string][]byte {
	t.Helper()
	files := map[string][]byte{}
	for _, dir := range []string{"testdata/cyclonedx", "testdata/spdx", "testdata/spdx3"} {
		entries, err := os.ReadDir(dir)
		if err != nil {
			continue
		}
		for _, e := range entries {
			name := filepath.Join(dir, e.Name())
			if e.IsDir() || strings.Contains(e.Name(), "golden") || strings.HasPrefix(e.Name(), "bad") || strings.HasPrefix(e.Name(), "invalid") {
				continue
			}
			data, err := os.ReadFile(name)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := Detect(data); err != nil {
				continue
			}
			files[name] = data
		}
	}
	if len(files) < 8 {
		t.Fatalf("found only %d SBOM fixtures; the round-trip test needs every reader's fixtures", len(files))
	}
	return files
}

// TestRoundTripEveryReaderWriterPair reads every fixture (every reader), writes it in every
// writable format, reads the result back, and checks that no component, purl, hash or
// relationship was lost — and that a second conversion changes nothing further.
func TestRoundTripEveryReaderWriterPair(t *testing.T) {
	readers := map[Format]bool{}
	for name, data := range fixtureDocuments(t) {
		doc, err := Decode(name, data, input.Limits{})
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		readers[doc.Format] = true
		want := essenceOf(doc)
		for _, f := range WritableFormats {
			t.Run(fmt.Sprintf("%s/%s", filepath.Base(name), f), func(t *testing.T) {
				var buf bytes.Buffer
				if err := Write(&buf, doc, f); err != nil {
					t.Fatalf("write: %v", err)
				}
				back, err := Decode("converted", buf.Bytes(), input.Limits{})
				if err != nil {
					t.Fatalf("read back: %v\n%s", err, head(buf.String()))
				}
				if back.Format != f {
					t.Errorf("read back as %s, want %s", back.Format, f)
				}
				if diff := gocmp.Diff(want, essenceOf(back)); diff != "" {
					t.Errorf("lost in conversion (-want +got):\n%s", diff)
				}
				var again bytes.Buffer
				if err := Write(&again, back, f); err != nil {
					t.Fatalf("second write: %v", err)
				}
				if !bytes.Equal(buf.Bytes(), again.Bytes()) {
					t.Errorf("second conversion to %s differs from the first", f)
				}
			})
		}
	}
	for _, f := range []Format{CycloneDXJSON, CycloneDXXML, SPDXJSON, SPDXTagValue, SPDX3JSONLD} {
		if !readers[f] {
			t.Errorf("no fixture exercises the %s reader", f)
		}
	}
}

func head(s string) string {
	return s[:cmp.Or(min(len(s), 2000), 0)]
}
