package firmware

import (
	"bufio"
	"bytes"
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"log/slog"
	"path"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/siegel-oss/siegel/internal/extract"
	"github.com/siegel-oss/siegel/internal/firmware/signatures"
	"github.com/siegel-oss/siegel/internal/firmware/unpack"
	"github.com/siegel-oss/siegel/internal/input"
	"github.com/siegel-oss/siegel/internal/purl"
	"github.com/siegel-oss/siegel/internal/sbom"
)

// Options control an analysis.
type Options struct {
	Budget  *unpack.Budget // nil means unpack.DefaultBudget with no time limit
	Workers int            // parallel file scans; 0 means GOMAXPROCS
	Now     time.Time      // the SBOM's creation time; zero means the image's newest file time
	Log     *slog.Logger
}

// Report is everything an analysis found in one image.
type Report struct {
	Image      string           `json:"image"`
	Size       int64            `json:"size"`
	SHA256     string           `json:"sha256"`
	Layers     []unpack.Layer   `json:"layers"`
	Problems   []unpack.Problem `json:"problems"`
	Files      int              `json:"files"`
	Components []Component      `json:"components"`
	Weaknesses []Weakness       `json:"weaknesses"`
	// SBOM is the inventory as a document (CycloneDX 1.6 when written), subject the image.
	SBOM *sbom.Document `json:"-"`
}

// Component is one component of the inventory with the evidence for it.
type Component struct {
	Name     string     `json:"name"`
	Version  string     `json:"version"`
	PURL     string     `json:"purl,omitempty"`
	CPE      string     `json:"cpe,omitempty"`
	Source   string     `json:"source"` // what found it: "os/dpkg", "go/binary", "signature", "openwrt-release", "kernel-modules", ...
	Evidence []Evidence `json:"evidence"`
}

// Evidence is where a component was seen.
type Evidence struct {
	Path       string `json:"path"`
	Offset     int64  `json:"offset,omitempty"`
	Match      string `json:"match,omitempty"`
	Confidence string `json:"confidence,omitempty"`
}

// Analyze unpacks the image and inventories it and checks it. Unpacking problems of single
// layers are part of the report; errors are limits reached (unpack.ErrLimit) and cancellation.
func Analyze(ctx context.Context, name string, data []byte, opts Options) (*Report, error) {
	log := cmp.Or(opts.Log, slog.New(slog.DiscardHandler))
	b := opts.Budget
	if b == nil {
		b = unpack.DefaultBudget(ctx)
	}
	sum := sha256.Sum256(data)
	rep := &Report{Image: name, Size: int64(len(data)), SHA256: hex.EncodeToString(sum[:])}
	start := time.Now()
	res, err := unpack.Image(name, data, b)
	if err != nil {
		return nil, err
	}
	rep.Layers, rep.Problems, rep.Files = res.Layers, res.Problems, res.Tree.Len()
	log.Info("unpacked", "image", name, "layers", len(res.Layers), "files", res.Tree.Len(), "problems", len(res.Problems), "took", time.Since(start).Round(time.Millisecond))

	t := res.Tree
	var wg sync.WaitGroup
	var mu sync.Mutex
	collect := func(prefix string, ws []Weakness) {
		mu.Lock()
		defer mu.Unlock()
		for _, w := range ws {
			if prefix != "" {
				w.Path = prefix + "/" + w.Path
			}
			rep.Weaknesses = append(rep.Weaknesses, w)
		}
	}
	// Each root file system is checked as the device sees it (absolute links resolve inside
	// it); payloads outside file systems (kernels, raw partitions) are searched for keys and
	// checked as binaries.
	roots := fileSystemRoots(res.Layers)
	for _, root := range roots {
		sub := t.Sub(root)
		for _, check := range []func(*unpack.Tree) []Weakness{CheckCredentials, CheckServices, CheckKeys, CheckPermissions, CheckHardening} {
			wg.Go(func() { collect(root, check(sub)) })
		}
	}
	rest := t.Without(roots)
	for _, check := range []func(*unpack.Tree) []Weakness{CheckKeys, CheckHardening} {
		wg.Go(func() { collect("", check(rest)) })
	}
	comps, doc, err := inventory(ctx, name, t, opts)
	wg.Wait()
	if err != nil {
		return nil, err
	}
	sortWeaknesses(rep.Weaknesses)
	if rep.Weaknesses == nil {
		rep.Weaknesses = []Weakness{}
	}
	rep.Components, rep.SBOM = comps, doc
	if rep.Layers == nil {
		rep.Layers = []unpack.Layer{}
	}
	if rep.Problems == nil {
		rep.Problems = []unpack.Problem{}
	}
	log.Info("analysed", "image", name, "components", len(comps), "weaknesses", len(rep.Weaknesses), "took", time.Since(start).Round(time.Millisecond))
	return rep, nil
}

// fileSystemRoots returns where the file systems and archives of an image are mounted in its
// tree, leaving out those nested inside another (they are checked as part of it).
func fileSystemRoots(layers []unpack.Layer) []string {
	kinds := map[string]bool{}
	for _, f := range unpack.Formats() {
		kinds[f.Name] = f.Kind == unpack.FileSystem
	}
	var roots []string
	for _, l := range layers {
		if !kinds[l.Format] {
			continue
		}
		if slices.ContainsFunc(roots, func(r string) bool { return strings.HasPrefix(l.Path, r+"/") }) {
			continue
		}
		roots = append(roots, l.Path)
	}
	return roots
}

var severityRank = map[string]int{"critical": 0, "high": 1, "medium": 2, "low": 3, "info": 4}

func sortWeaknesses(ws []Weakness) {
	slices.SortStableFunc(ws, func(a, b Weakness) int {
		return cmp.Or(cmp.Compare(severityRank[a.Severity], severityRank[b.Severity]), cmp.Compare(a.Rule, b.Rule),
			cmp.Compare(a.Path, b.Path), cmp.Compare(a.Line, b.Line), cmp.Compare(a.Offset, b.Offset), cmp.Compare(a.ID, b.ID))
	})
}

// inventory finds the image's components: package databases, Go and Rust build information and
// lockfiles (the extractors 'siegel sbom' uses), the OpenWrt release, kernel versions, and
// version signatures in every file.
func inventory(ctx context.Context, name string, t *unpack.Tree, opts Options) ([]Component, *sbom.Document, error) {
	inv, err := extract.Scan(ctx, t.FS(), extract.Options{
		Limits:   input.Limits{MaxBytes: 1 << 30},
		MaxFiles: 2_000_000,
		SkipDirs: []string{"proc", "sys", "dev"},
		Workers:  opts.Workers,
	})
	if err != nil {
		return nil, nil, fmt.Errorf("inventory of %s: %w", name, err)
	}
	var newest time.Time
	var files []*unpack.Entry
	entries := t.Entries()
	for _, e := range entries {
		if e.ModTime.After(newest) {
			newest = e.ModTime
		}
		if e.Mode.IsRegular() && len(e.Data) > 0 {
			files = append(files, e)
		}
	}
	inv.Files = append(inv.Files, openWrtRelease(t, entries)...)
	inv.Files = append(inv.Files, kernelModules(entries)...)

	hits := scanSignatures(files, opts.Workers)
	sizes := make(map[string]int, len(files))
	for _, f := range files {
		sizes[f.Path] = len(f.Data)
	}
	for _, h := range hits {
		props := []sbom.Property{
			{Name: extract.PropLocation, Value: h.Path},
			{Name: extract.PropExtractor, Value: "firmware/signature"},
			{Name: "siegel:evidence", Value: fmt.Sprintf("%s@%d: %s", h.Path, h.Offset, h.Match)},
			{Name: "siegel:confidence", Value: h.Confidence},
		}
		if n := sizes[h.Path]; n > 0 {
			// The size of the file the component was found in: the memory-safety share by code
			// size (internal/health) counts it.
			props = append(props, sbom.Property{Name: "siegel:size", Value: strconv.Itoa(n)})
		}
		c := sbom.Component{Ref: h.PURL, Type: "library", Name: h.Component, Version: h.Version, PURL: h.PURL,
			Files: []string{path.Base(h.Path)}, Properties: props}
		if h.CPE != "" {
			c.CPEs = []string{h.CPE}
		}
		inv.Files = append(inv.Files, extract.FileResult{File: extract.File{Path: h.Path}, Extractor: "firmware/signature",
			Result: extract.Result{Components: []sbom.Component{c}}})
	}
	created := opts.Now
	if created.IsZero() {
		created = newest
	}
	doc := inv.Document(extract.Subject{Name: path.Base(name), Type: "firmware"}, created,
		[]sbom.Creator{{Kind: "tool", Name: "siegel firmware scan"}})

	// The component list with evidence: one entry per purl (or name@version), every location kept.
	byKey := map[string]*Component{}
	var order []string
	add := func(c Component) {
		key := cmp.Or(c.PURL, c.Name+"@"+c.Version)
		if have, ok := byKey[key]; ok {
			have.Evidence = append(have.Evidence, c.Evidence...)
			return
		}
		cc := c
		byKey[key] = &cc
		order = append(order, key)
	}
	for _, h := range hits {
		add(Component{Name: h.Component, Version: h.Version, PURL: h.PURL, CPE: h.CPE, Source: "signature",
			Evidence: []Evidence{{Path: h.Path, Offset: h.Offset, Match: h.Match, Confidence: h.Confidence}}})
	}
	for _, f := range inv.Files {
		if f.Extractor == "firmware/signature" {
			continue
		}
		for _, c := range f.Result.Components {
			cpe := ""
			if len(c.CPEs) > 0 {
				cpe = c.CPEs[0]
			}
			add(Component{Name: c.Name, Version: c.Version, PURL: c.PURL, CPE: cpe, Source: f.Extractor, Evidence: []Evidence{{Path: f.File.Path}}})
		}
	}
	out := make([]Component, 0, len(order))
	for _, k := range order {
		out = append(out, *byKey[k])
	}
	slices.SortFunc(out, func(a, b Component) int {
		return cmp.Or(cmp.Compare(a.Name, b.Name), cmp.Compare(a.Version, b.Version), cmp.Compare(a.PURL, b.PURL))
	})
	return out, doc, nil
}

// scanSignatures runs the version signatures over every file, in parallel, in a stable order.
func scanSignatures(files []*unpack.Entry, workers int) []signatures.Hit {
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	results := make([][]signatures.Hit, len(files))
	var next sync.Mutex
	i := 0
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for {
				next.Lock()
				j := i
				i++
				next.Unlock()
				if j >= len(files) {
					return
				}
				results[j] = signatures.Scan(files[j].Path, files[j].Data)
			}
		})
	}
	wg.Wait()
	return slices.Concat(results...)
}

// openWrtRelease reads /etc/openwrt_release (shell assignments DISTRIB_ID, DISTRIB_RELEASE,
// DISTRIB_REVISION, DISTRIB_TARGET, DISTRIB_ARCH) of every root file system in the tree.
func openWrtRelease(t *unpack.Tree, entries []*unpack.Entry) []extract.FileResult {
	var out []extract.FileResult
	for _, e := range entries {
		if path.Base(e.Path) != "openwrt_release" || path.Base(path.Dir(e.Path)) != "etc" {
			continue
		}
		r := t.Resolve(e.Path)
		if r == nil || !r.Mode.IsRegular() {
			continue
		}
		vals := map[string]string{}
		sc := bufio.NewScanner(bytes.NewReader(r.Data))
		for sc.Scan() {
			k, v, ok := strings.Cut(strings.TrimSpace(sc.Text()), "=")
			if !ok || !strings.HasPrefix(k, "DISTRIB_") {
				continue
			}
			vals[k] = strings.Trim(v, `'"`)
		}
		id, ver := cmp.Or(vals["DISTRIB_ID"], "OpenWrt"), vals["DISTRIB_RELEASE"]
		if ver == "" {
			continue
		}
		name := strings.ToLower(id)
		c := sbom.Component{Ref: "openwrt-release:" + e.Path, Type: "operating-system", Name: name, Version: ver,
			PURL:       purl.New("generic", "", name, ver),
			CPEs:       []string{fmt.Sprintf("cpe:2.3:o:%s:%s:%s:*:*:*:*:*:*:*", name, name, cpeEscape(ver))},
			Properties: []sbom.Property{{Name: extract.PropLocation, Value: e.Path}, {Name: extract.PropExtractor, Value: "openwrt-release"}}}
		for _, k := range []string{"DISTRIB_REVISION", "DISTRIB_TARGET", "DISTRIB_ARCH"} {
			if vals[k] != "" {
				c.Properties = append(c.Properties, sbom.Property{Name: "siegel:openwrt:" + strings.ToLower(strings.TrimPrefix(k, "DISTRIB_")), Value: vals[k]})
			}
		}
		out = append(out, extract.FileResult{File: extract.File{Path: e.Path, Mode: e.Mode, Size: e.Size()}, Extractor: "openwrt-release",
			Result: extract.Result{Components: []sbom.Component{c}}})
	}
	return out
}

// kernelModules takes the Linux kernel's version from the module directories, lib/modules/VERSION.
func kernelModules(entries []*unpack.Entry) []extract.FileResult {
	var out []extract.FileResult
	seen := map[string]bool{}
	for _, e := range entries {
		dir, ver := path.Split(e.Path)
		if !e.Mode.IsDir() || !strings.HasSuffix(dir, "lib/modules/") || ver == "" || ver[0] < '0' || ver[0] > '9' || seen[ver] {
			continue
		}
		seen[ver] = true
		upstream := ver
		if i := strings.IndexAny(ver, "-+"); i > 0 {
			upstream = ver[:i]
		}
		c := sbom.Component{Ref: "linux@" + upstream, Type: "operating-system", Name: "linux", Version: upstream,
			PURL: purl.New("generic", "", "linux", upstream),
			CPEs: []string{fmt.Sprintf("cpe:2.3:o:linux:linux_kernel:%s:*:*:*:*:*:*:*", cpeEscape(upstream))},
			Properties: []sbom.Property{{Name: extract.PropLocation, Value: e.Path}, {Name: extract.PropExtractor, Value: "kernel-modules"},
				{Name: "siegel:kernel:release", Value: ver}}}
		out = append(out, extract.FileResult{File: extract.File{Path: e.Path, Mode: e.Mode}, Extractor: "kernel-modules",
			Result: extract.Result{Components: []sbom.Component{c}}})
	}
	return out
}

func cpeEscape(s string) string {
	var b strings.Builder
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' || r == '.' || r == '-') {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}
