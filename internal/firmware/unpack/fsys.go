package unpack

import (
	"bytes"
	"io"
	"io/fs"
	"path"
	"slices"
	"time"
)

// FS returns the tree as a read-only fs.FS, for code that walks file systems (the component
// extractors). Symbolic links are followed within the tree when a file is opened; ReadDir and
// Stat of a link's own entry report it as a link.
func (t *Tree) FS() fs.FS {
	children := map[string][]string{}
	for p := range t.entries {
		d := path.Dir(p)
		children[d] = append(children[d], p)
	}
	for _, c := range children {
		slices.Sort(c)
	}
	return &treeFS{t: t, children: children}
}

type treeFS struct {
	t        *Tree
	children map[string][]string
}

func (f *treeFS) Open(name string) (fs.File, error) {
	if !fs.ValidPath(name) {
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrInvalid}
	}
	if name == "." {
		return &treeDir{fs: f, e: &Entry{Path: ".", Mode: fs.ModeDir | 0o755}}, nil
	}
	e := f.t.Resolve(name)
	if e == nil {
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrNotExist}
	}
	if e.Mode.IsDir() {
		return &treeDir{fs: f, e: e}, nil
	}
	return &treeFile{e: e, r: bytes.NewReader(e.Data)}, nil
}

func (f *treeFS) Stat(name string) (fs.FileInfo, error) {
	if name == "." {
		return entryInfo{&Entry{Path: ".", Mode: fs.ModeDir | 0o755}}, nil
	}
	e := f.t.entries[name]
	if e == nil {
		return nil, &fs.PathError{Op: "stat", Path: name, Err: fs.ErrNotExist}
	}
	return entryInfo{e}, nil
}

func (f *treeFS) ReadDir(name string) ([]fs.DirEntry, error) {
	if name != "." {
		e := f.t.Resolve(name)
		if e == nil || !e.Mode.IsDir() {
			return nil, &fs.PathError{Op: "readdir", Path: name, Err: fs.ErrNotExist}
		}
		name = e.Path
	}
	var out []fs.DirEntry
	for _, p := range f.children[name] {
		out = append(out, fs.FileInfoToDirEntry(entryInfo{f.t.entries[p]}))
	}
	return out, nil
}

func (f *treeFS) ReadFile(name string) ([]byte, error) {
	e := f.t.Resolve(name)
	if e == nil || !e.Mode.IsRegular() {
		return nil, &fs.PathError{Op: "readfile", Path: name, Err: fs.ErrNotExist}
	}
	return slices.Clone(e.Data), nil
}

type entryInfo struct{ e *Entry }

func (i entryInfo) Name() string {
	return path.Base(i.e.Path)
}
func (i entryInfo) Size() int64        { return int64(len(i.e.Data)) }
func (i entryInfo) Mode() fs.FileMode  { return i.e.Mode }
func (i entryInfo) ModTime() time.Time { return i.e.ModTime }
func (i entryInfo) IsDir() bool        { return i.e.Mode.IsDir() }
func (i entryInfo) Sys() any           { return i.e }

type treeFile struct {
	e *Entry
	r *bytes.Reader
}

func (f *treeFile) Stat() (fs.FileInfo, error) { return entryInfo{f.e}, nil }
func (f *treeFile) Read(p []byte) (int, error) { return f.r.Read(p) }
func (f *treeFile) ReadAt(p []byte, off int64) (int, error) {
	return f.r.ReadAt(p, off)
}
func (f *treeFile) Seek(off int64, whence int) (int64, error) { return f.r.Seek(off, whence) }
func (f *treeFile) Close() error                              { return nil }

type treeDir struct {
	fs   *treeFS
	e    *Entry
	read int
}

func (d *treeDir) Stat() (fs.FileInfo, error) { return entryInfo{d.e}, nil }
func (d *treeDir) Read([]byte) (int, error) {
	return 0, &fs.PathError{Op: "read", Path: d.e.Path, Err: fs.ErrInvalid}
}
func (d *treeDir) Close() error { return nil }
func (d *treeDir) ReadDir(n int) ([]fs.DirEntry, error) {
	all, err := d.fs.ReadDir(d.e.Path)
	if err != nil {
		return nil, err
	}
	rest := all[d.read:]
	if n <= 0 {
		d.read = len(all)
		return rest, nil
	}
	if len(rest) == 0 {
		return nil, io.EOF
	}
	rest = rest[:min(n, len(rest))]
	d.read += len(rest)
	return rest, nil
}
