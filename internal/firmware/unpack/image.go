package unpack

import (
	"bytes"
	"errors"
	"fmt"
	"path"
	"slices"
)

// Layer is one image found and unpacked, at any depth.
type Layer struct {
	Path   string `json:"path"`   // where its entries sit in the combined tree
	Parent string `json:"parent"` // the file it was found in; "" for the image itself
	Format string `json:"format"`
	Offset int64  `json:"offset"` // in Parent
	Size   int64  `json:"size"`   // bytes of Parent it occupies; 0 when not known
	Files  int    `json:"files"`
	Depth  int    `json:"depth"`
}

// Problem is an image that looked like a known format at its start but could not be unpacked.
// It is reported, not fatal: the rest of the image is still analysed.
type Problem struct {
	Path   string `json:"path"`
	Offset int64  `json:"offset"`
	Format string `json:"format"`
	Error  string `json:"error"`
}

// Result is an image taken apart: one tree holding every layer's entries under its Path.
type Result struct {
	Tree     *Tree
	Layers   []Layer
	Problems []Problem
}

// weakMagic formats match by chance in ordinary data; their failures are not worth reporting.
var weakMagic = map[string]bool{"lzma": true, "ext": true, "gzip": true, "zstd": true, "fit": true, "jffs2": true, "bzip2": true, "cramfs": true}

func isLimit(err error) bool { return errors.Is(err, ErrLimit) }

// Image unpacks data (the file name) recursively: it carves every known format out of the image
// at any offset, unpacks each, and goes on into what they contain: the payloads of containers and
// streams are carved again, the files of file systems are examined at their start. Entries of a
// layer found in file P at offset O sit under "P.extracted/O.FORMAT/" (hexadecimal offset), those
// of the image itself under "O.FORMAT/". The only errors are those of the budget (ErrLimit);
// everything else is a Problem in the result.
func Image(name string, data []byte, b *Budget) (*Result, error) {
	if b == nil {
		b = DefaultBudget(nil)
	}
	r := &Result{Tree: NewTree("image", b)}
	u := &unpacker{res: r, b: b, formats: Formats()}
	if err := u.carve("", data, 0, true); err != nil {
		return r, fmt.Errorf("unpacking %s: %w", name, err)
	}
	return r, nil
}

type unpacker struct {
	res     *Result
	b       *Budget
	formats []Format
}

type candidate struct {
	off    int
	format int
}

// candidates finds where formats could begin: at every offset when all, else at 0 only.
func (u *unpacker) candidates(data []byte, all bool) []candidate {
	var cs []candidate
	for fi, f := range u.formats {
		for _, m := range f.Magics {
			if !all {
				if m.Offset+len(m.Bytes) <= len(data) && string(data[m.Offset:m.Offset+len(m.Bytes)]) == m.Bytes {
					cs = append(cs, candidate{0, fi})
				}
				continue
			}
			needle := []byte(m.Bytes)
			for from := m.Offset; from < len(data); {
				i := bytes.Index(data[from:], needle)
				if i < 0 {
					break
				}
				cs = append(cs, candidate{from + i - m.Offset, fi})
				from += i + 1
			}
		}
	}
	slices.SortFunc(cs, func(a, b candidate) int {
		if a.off != b.off {
			return a.off - b.off
		}
		return a.format - b.format
	})
	return slices.Compact(cs)
}

// carve unpacks what it finds in data, the content of file parent ("" for the image).
func (u *unpacker) carve(parent string, data []byte, depth int, all bool) error {
	if depth > u.b.MaxDepth {
		return fmt.Errorf("%w: images nested deeper than %d levels in %s (raise --max-depth to go further)", ErrLimit, u.b.MaxDepth, parent)
	}
	covered := 0
	for _, c := range u.candidates(data, all) {
		if c.off < covered {
			continue
		}
		if err := u.b.Err(); err != nil {
			return err
		}
		f := u.formats[c.format]
		t, size, err := f.Unpack(data[c.off:], u.b)
		if err != nil {
			if isLimit(err) {
				return err
			}
			if !weakMagic[f.Name] {
				u.res.Problems = append(u.res.Problems, Problem{Path: parent, Offset: int64(c.off), Format: f.Name, Error: err.Error()})
			}
			continue
		}
		if t.Len() == 0 {
			continue
		}
		mount := fmt.Sprintf("%x.%s", c.off, f.Name)
		if parent != "" {
			mount = parent + ".extracted/" + mount
		}
		u.res.Layers = append(u.res.Layers, Layer{Path: mount, Parent: parent, Format: f.Name, Offset: int64(c.off), Size: size, Files: t.Len(), Depth: depth})
		u.res.Tree.adopt(mount, t)
		for _, e := range t.Entries() {
			if !e.Mode.IsRegular() || len(e.Data) < 16 || bytes.HasPrefix(e.Data, []byte("\x7fELF")) {
				continue
			}
			if err := u.carve(mount+"/"+e.Path, e.Data, depth+1, f.Kind == Container); err != nil {
				return err
			}
		}
		if size <= 0 {
			break // where this image ends is unknown: what follows is inside it
		}
		covered = c.off + int(size)
		if !all {
			break
		}
	}
	return nil
}

// adopt puts child's entries under prefix, without drawing on the budget a second time.
func (t *Tree) adopt(prefix string, child *Tree) {
	t.mkdirs(prefix)
	for _, p := range child.order {
		e := *child.entries[p]
		e.Path = path.Join(prefix, p)
		if _, ok := t.entries[e.Path]; !ok {
			t.order = append(t.order, e.Path)
		}
		t.entries[e.Path] = &e
	}
}
