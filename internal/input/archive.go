package input

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"slices"
	"strings"
	"time"
)

// ArchiveLimits bound what an archive may unpack to.
type ArchiveLimits struct {
	MaxBytes int64 // all files together, uncompressed
	MaxFiles int
	// MaxRatio bounds what the archive unpacks to as a multiple of its own size (0: no bound),
	// with RatioFloor as the least any archive may unpack to. Source archives compress text about
	// five to ten times; decompression bombs a thousand times and more.
	MaxRatio   int64
	RatioFloor int64
}

// DefaultMaxRatio and DefaultRatioFloor are the ratio limits the server applies to uploads.
const (
	DefaultMaxRatio   = 100
	DefaultRatioFloor = 16 << 20
)

// budget is the number of unpacked bytes an archive of size n may produce, and whether the
// ratio (rather than MaxBytes) sets it.
func (l ArchiveLimits) budget(n int64) (int64, bool) {
	if l.MaxRatio <= 0 || n > (1<<62)/l.MaxRatio {
		return l.MaxBytes, false
	}
	if r := max(l.MaxRatio*n, l.RatioFloor); r < l.MaxBytes {
		return r, true
	}
	return l.MaxBytes, false
}

// IsArchive reports whether data starts like a zip, tar or gzip-compressed tar archive.
func IsArchive(data []byte) bool {
	return bytes.HasPrefix(data, []byte("PK\x03\x04")) || bytes.HasPrefix(data, []byte{0x1f, 0x8b}) ||
		(len(data) > 262 && string(data[257:262]) == "ustar")
}

// OpenArchive returns the regular files of a zip, tar or tar.gz archive as a read-only file
// system held in memory. Nothing is written to disk, so nothing can land outside a root; entries
// whose names are absolute or climb out with ".." are refused with an error naming them, as are
// archives beyond the limits. Links, devices and other special entries are left out.
func OpenArchive(name string, data []byte, lim ArchiveLimits) (fs.FS, error) {
	if lim.MaxBytes <= 0 {
		lim.MaxBytes = 1 << 30
	}
	if lim.MaxFiles <= 0 {
		lim.MaxFiles = 100_000
	}
	budget, byRatio := lim.budget(int64(len(data)))
	tooMuch := func() error {
		if byRatio {
			return &Error{File: name, Rule: "archive limits", Err: fmt.Errorf("unpacks to more than %d bytes, %d times its own size: a decompression bomb, or an archive to split", budget, lim.MaxRatio)}
		}
		return &Error{File: name, Rule: "archive limits", Err: fmt.Errorf("more than %d bytes unpacked", budget)}
	}
	m := &memFS{files: map[string]*memFile{}}
	add := func(entry string, size int64, mode fs.FileMode, mod time.Time, open func() (io.Reader, error)) error {
		clean := path.Clean(strings.TrimPrefix(entry, "./"))
		if strings.HasPrefix(entry, "/") || !fs.ValidPath(clean) || clean == "." {
			return &Error{File: name, Pointer: entry, Rule: "archive entry", Err: errors.New("absolute path or one that leaves the archive's root")}
		}
		if len(m.files) >= lim.MaxFiles {
			return &Error{File: name, Rule: "archive limits", Err: fmt.Errorf("more than %d files", lim.MaxFiles)}
		}
		if size < 0 || m.total+size > budget {
			return tooMuch()
		}
		r, err := open()
		if err != nil {
			return &Error{File: name, Pointer: entry, Rule: "archive entry", Err: err}
		}
		body, err := io.ReadAll(io.LimitReader(r, size+1))
		if err != nil {
			return &Error{File: name, Pointer: entry, Rule: "archive entry", Err: err}
		}
		if int64(len(body)) != size {
			return &Error{File: name, Pointer: entry, Rule: "archive entry", Err: errors.New("size differs from the header")}
		}
		m.total += size
		m.files[clean] = &memFile{name: path.Base(clean), data: body, mode: mode.Perm(), mod: mod}
		return nil
	}
	switch {
	case bytes.HasPrefix(data, []byte("PK\x03\x04")):
		zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
		if err != nil {
			return nil, &Error{File: name, Rule: "zip", Err: err}
		}
		for _, f := range zr.File {
			if !f.Mode().IsRegular() {
				continue
			}
			if err := add(f.Name, int64(f.UncompressedSize64), f.Mode(), f.Modified, func() (io.Reader, error) { return f.Open() }); err != nil {
				return nil, err
			}
		}
	default:
		var r io.Reader = bytes.NewReader(data)
		if bytes.HasPrefix(data, []byte{0x1f, 0x8b}) {
			zr, err := gzip.NewReader(r)
			if err != nil {
				return nil, &Error{File: name, Rule: "gzip", Err: err}
			}
			r = zr
		}
		tr := tar.NewReader(r)
		for {
			h, err := tr.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				return nil, &Error{File: name, Rule: "tar", Err: err}
			}
			if h.Typeflag != tar.TypeReg {
				continue
			}
			if err := add(h.Name, h.Size, h.FileInfo().Mode(), h.ModTime, func() (io.Reader, error) { return tr, nil }); err != nil {
				return nil, err
			}
		}
	}
	m.index()
	return m, nil
}

// memFS is a read-only file system of regular files and the directories that hold them.
type memFS struct {
	files map[string]*memFile
	dirs  map[string][]fs.DirEntry
	total int64
}

type memFile struct {
	name string
	data []byte
	mode fs.FileMode
	mod  time.Time
	dir  bool
}

func (f *memFile) Name() string               { return f.name }
func (f *memFile) Size() int64                { return int64(len(f.data)) }
func (f *memFile) ModTime() time.Time         { return f.mod }
func (f *memFile) IsDir() bool                { return f.dir }
func (f *memFile) Sys() any                   { return nil }
func (f *memFile) Type() fs.FileMode          { return f.Mode().Type() }
func (f *memFile) Info() (fs.FileInfo, error) { return f, nil }
func (f *memFile) Mode() fs.FileMode {
	if f.dir {
		return fs.ModeDir | 0o755
	}
	return f.mode
}

// index builds the directory listings.
func (m *memFS) index() {
	m.dirs = map[string][]fs.DirEntry{".": nil}
	for p, f := range m.files {
		child := fs.DirEntry(f)
		for dir := path.Dir(p); ; dir = path.Dir(dir) {
			_, seen := m.dirs[dir]
			m.dirs[dir] = append(m.dirs[dir], child)
			if seen || dir == "." {
				break
			}
			child = &memFile{name: path.Base(dir), dir: true}
		}
	}
	for _, es := range m.dirs {
		slices.SortFunc(es, func(a, b fs.DirEntry) int { return strings.Compare(a.Name(), b.Name()) })
	}
}

func (m *memFS) Open(name string) (fs.File, error) {
	if !fs.ValidPath(name) {
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrInvalid}
	}
	if f, ok := m.files[name]; ok {
		return &openFile{memFile: f, r: bytes.NewReader(f.data)}, nil
	}
	if es, ok := m.dirs[name]; ok {
		return &openDir{memFile: &memFile{name: path.Base(name), dir: true}, entries: es}, nil
	}
	return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrNotExist}
}

type openFile struct {
	*memFile
	r *bytes.Reader
}

func (f *openFile) Stat() (fs.FileInfo, error) { return f.memFile, nil }
func (f *openFile) Read(b []byte) (int, error) { return f.r.Read(b) }
func (f *openFile) Close() error               { return nil }

type openDir struct {
	*memFile
	entries []fs.DirEntry
	off     int
}

func (d *openDir) Stat() (fs.FileInfo, error) { return d.memFile, nil }
func (d *openDir) Read([]byte) (int, error) {
	return 0, &fs.PathError{Op: "read", Path: d.name, Err: errors.New("is a directory")}
}
func (d *openDir) Close() error { return nil }
func (d *openDir) ReadDir(n int) ([]fs.DirEntry, error) {
	rest := d.entries[d.off:]
	if n <= 0 {
		d.off = len(d.entries)
		return rest, nil
	}
	if len(rest) == 0 {
		return nil, io.EOF
	}
	n = min(n, len(rest))
	d.off += n
	return rest[:n], nil
}
