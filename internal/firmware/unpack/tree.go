// Package unpack takes firmware images apart without external programs: file systems (squashfs,
// ext2/3/4, CramFS, JFFS2, UBI/UBIFS), archives (cpio, tar), compressed streams and boot
// containers (U-Boot uImage and FIT, TRX), recursively and entirely in memory.
//
// Every unpacker reads untrusted bytes. It never writes to disk, keeps every entry's metadata
// exactly (type, permission bits including setuid, setgid and sticky, owner, group, link target,
// device numbers) and draws from one Budget shared by the whole unpacking, so a decompression bomb
// or a loop of nested images stops with an error instead of exhausting the machine.
package unpack

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"slices"
	"strings"
	"sync"
	"time"
)

// Entry is one file, directory, link or special file of an unpacked tree.
type Entry struct {
	Path    string      // slash-separated, relative to the tree's root, never "." or starting with "/"
	Mode    fs.FileMode // type bits, permission bits and fs.ModeSetuid, fs.ModeSetgid, fs.ModeSticky
	UID     uint32
	GID     uint32
	ModTime time.Time
	Link    string // target of a symbolic link (or of a hard link, as a tree path), as stored
	Dev     uint64 // device number of a character or block device, in Linux's new_encode_dev layout (see MakeDev)
	Data    []byte // content of a regular file
	// Offset is where the entry's content begins in the image it was unpacked from, when the
	// format stores it contiguously and uncompressed; -1 otherwise. Evidence uses it.
	Offset int64
	// Xattrs are the entry's extended attributes by full name ("security.capability",
	// "user.comment"), with their raw values; nil when the format stores none.
	Xattrs map[string]string
}

// MakeDev encodes a device number as Linux's new_encode_dev does (and squashfs, UBIFS, JFFS2 and
// ext store it): the minor's low byte, the major in bits 8 to 19, the minor's other bits above.
// For majors and minors below 256 it equals the old major<<8 | minor.
func MakeDev(major, minor uint64) uint64 {
	return minor&0xff | (major&0xfff)<<8 | (minor&^0xff)<<12
}

// Major is the major number of a device entry.
func (e *Entry) Major() uint64 { return (e.Dev >> 8) & 0xfff }

// Minor is the minor number of a device entry.
func (e *Entry) Minor() uint64 { return e.Dev&0xff | (e.Dev>>12)&^0xff }

// Size is the length of a regular file's content.
func (e *Entry) Size() int64 { return int64(len(e.Data)) }

// Tree is an unpacked file system or archive, held in memory.
type Tree struct {
	Format  string // "squashfs", "cpio", "uimage", ...
	entries map[string]*Entry
	order   []string
	budget  *Budget
}

// NewTree returns an empty tree of the given format that draws on b (which may be nil for no limits).
func NewTree(format string, b *Budget) *Tree {
	return &Tree{Format: format, entries: map[string]*Entry{}, budget: b}
}

// Add puts e into the tree. Its path is cleaned; a path that is absolute after cleaning a leading
// "/" or "./", or that climbs out of the root with "..", is refused, as are entries beyond the
// budget. Missing parent directories are created. Adding a path twice replaces the earlier entry
// (later entries of an archive override earlier ones, as when unpacking it). A directory entry
// for the root itself (".", "./", "/"), which "tar -cf - ." and "find . | cpio" archives hold, is
// ignored: the tree has its root.
func (t *Tree) Add(e Entry) error {
	if e.Mode.IsDir() && strings.Trim(path.Clean("/"+e.Path), "/") == "" {
		return nil
	}
	p, err := CleanPath(e.Path)
	if err != nil {
		return err
	}
	e.Path = p
	if e.Mode.IsRegular() {
		if err := t.budget.Take(int64(len(e.Data)), 1); err != nil {
			return err
		}
	} else {
		if err := t.budget.Take(0, 1); err != nil {
			return err
		}
		e.Data = nil
	}
	if e.Offset == 0 && !e.Mode.IsRegular() {
		e.Offset = -1
	}
	t.mkdirs(path.Dir(p))
	if old, ok := t.entries[p]; ok && old.Mode.IsDir() && e.Mode.IsDir() {
		*old = e
		return nil
	}
	if _, ok := t.entries[p]; !ok {
		t.order = append(t.order, p)
	}
	ee := e
	t.entries[p] = &ee
	return nil
}

func (t *Tree) mkdirs(dir string) {
	for dir != "." && dir != "/" && dir != "" {
		if _, ok := t.entries[dir]; ok {
			return
		}
		t.entries[dir] = &Entry{Path: dir, Mode: fs.ModeDir | 0o755, Offset: -1}
		t.order = append(t.order, dir)
		dir = path.Dir(dir)
	}
}

// CleanPath turns an archive's entry name into a tree path, or says why it cannot be one.
func CleanPath(name string) (string, error) {
	p := strings.TrimLeft(name, "/")
	p = strings.TrimPrefix(p, "./")
	if p == "" || p == "." {
		return "", fmt.Errorf("entry %q: empty path", name)
	}
	for _, part := range strings.Split(p, "/") {
		if part == ".." {
			return "", fmt.Errorf("entry %q: path leaves the root with \"..\"", name)
		}
	}
	if strings.ContainsRune(p, 0) {
		return "", fmt.Errorf("entry %q: NUL byte in path", name)
	}
	p = path.Clean(p)
	if p == "." {
		return "", fmt.Errorf("entry %q: empty path", name)
	}
	return p, nil
}

// Entry returns the entry at p, or nil.
func (t *Tree) Entry(p string) *Entry { return t.entries[p] }

// Entries returns every entry in path order.
func (t *Tree) Entries() []*Entry {
	out := make([]*Entry, 0, len(t.entries))
	for _, p := range t.sortedPaths() {
		out = append(out, t.entries[p])
	}
	return out
}

// Len is the number of entries.
func (t *Tree) Len() int { return len(t.entries) }

func (t *Tree) sortedPaths() []string {
	ps := make([]string, 0, len(t.entries))
	for p := range t.entries {
		ps = append(ps, p)
	}
	slices.Sort(ps)
	return ps
}

// Resolve follows symbolic links in p (at most 40, as Linux does) within the tree, treating the
// tree's root as "/": a link can never lead outside it. It returns the entry p finally names, or nil.
func (t *Tree) Resolve(p string) *Entry {
	for range 40 {
		e := t.entries[p]
		if e == nil {
			// A link may sit on a parent directory.
			dir, base := path.Split(p)
			if dir == "" {
				return nil
			}
			pe := t.Resolve(strings.TrimSuffix(dir, "/"))
			if pe == nil || !pe.Mode.IsDir() || pe.Path+"/"+base == p {
				return nil
			}
			p = pe.Path + "/" + base
			continue
		}
		if e.Mode&fs.ModeSymlink == 0 {
			return e
		}
		target := e.Link
		if !strings.HasPrefix(target, "/") {
			target = path.Join(path.Dir(p), target)
		}
		target = path.Clean("/" + target)[1:]
		if target == "" {
			return nil
		}
		p = target
	}
	return nil
}

// Budget bounds what one unpacking may produce, across every nested image. It is safe for
// concurrent use. A nil *Budget has no limits.
type Budget struct {
	MaxBytes int64 // bytes of file content in all trees together
	MaxFiles int   // entries in all trees together
	MaxDepth int   // nesting of images inside images
	ctx      context.Context

	mu    sync.Mutex
	bytes int64
	files int
}

// ErrLimit is wrapped by every error that stops an unpacking at a limit.
var ErrLimit = errors.New("unpacking limit reached")

// DefaultBudget returns the limits Siegel applies unless told otherwise: 4 GiB of content,
// 1,000,000 entries, 8 levels of nesting, and ctx's deadline.
func DefaultBudget(ctx context.Context) *Budget {
	return &Budget{MaxBytes: 4 << 30, MaxFiles: 1_000_000, MaxDepth: 8, ctx: ctx}
}

// NewBudget returns a budget with the given limits (zero means the default) that also stops when
// ctx is done.
func NewBudget(ctx context.Context, maxBytes int64, maxFiles, maxDepth int) *Budget {
	b := DefaultBudget(ctx)
	if maxBytes > 0 {
		b.MaxBytes = maxBytes
	}
	if maxFiles > 0 {
		b.MaxFiles = maxFiles
	}
	if maxDepth > 0 {
		b.MaxDepth = maxDepth
	}
	return b
}

// Take accounts for n bytes of content in files more entries, or says which limit that breaks.
func (b *Budget) Take(n int64, files int) error {
	if b == nil {
		return nil
	}
	if err := b.Err(); err != nil {
		return err
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if n < 0 || b.bytes+n > b.MaxBytes {
		return fmt.Errorf("%w: more than %d bytes unpacked in all (raise --max-bytes to go further)", ErrLimit, b.MaxBytes)
	}
	if b.files+files > b.MaxFiles {
		return fmt.Errorf("%w: more than %d files unpacked in all (raise --max-files to go further)", ErrLimit, b.MaxFiles)
	}
	b.bytes += n
	b.files += files
	return nil
}

// Remaining is how many bytes of content may still be produced; decompressors read at most this
// much (plus one, to notice the excess).
func (b *Budget) Remaining() int64 {
	if b == nil {
		return 1 << 62
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.MaxBytes - b.bytes
}

// Err is non-nil once the budget's context is done (time limit or cancellation).
func (b *Budget) Err() error {
	if b == nil || b.ctx == nil {
		return nil
	}
	if err := b.ctx.Err(); err != nil {
		return fmt.Errorf("%w: %w", ErrLimit, context.Cause(b.ctx))
	}
	return nil
}

// ReadAllLimited reads r to its end but stops with an ErrLimit error once it would produce more
// than the budget has left. Decompressors use it against bombs.
func (b *Budget) ReadAllLimited(r io.Reader) ([]byte, error) {
	max := b.Remaining()
	data, err := io.ReadAll(io.LimitReader(r, max+1))
	if err != nil {
		return data, err
	}
	if int64(len(data)) > max {
		return nil, fmt.Errorf("%w: a compressed stream expands beyond the %d bytes left", ErrLimit, max)
	}
	return data, nil
}

// FormatError says what is wrong with an image, and where.
type FormatError struct {
	Format string // "squashfs", ...
	Offset int64  // byte offset in the image the unpacker was given, -1 when not known
	Rule   string // what was violated, such as "inode table" or "superblock magic"
	Err    error
}

func (e *FormatError) Error() string {
	if e.Offset >= 0 {
		return fmt.Sprintf("%s at byte %d: %s: %v", e.Format, e.Offset, e.Rule, e.Err)
	}
	return fmt.Sprintf("%s: %s: %v", e.Format, e.Rule, e.Err)
}

func (e *FormatError) Unwrap() error { return e.Err }

// Errorf builds a *FormatError.
func Errorf(format string, off int64, rule, msg string, args ...any) error {
	return &FormatError{Format: format, Offset: off, Rule: rule, Err: fmt.Errorf(msg, args...)}
}

// Sub returns the entries under dir as a tree of their own, rooted at dir: symbolic links then
// resolve against dir as "/", as they do on the device. Entries are shared, not copied.
func (t *Tree) Sub(dir string) *Tree {
	s := NewTree(t.Format, nil)
	prefix := dir + "/"
	for _, p := range t.order {
		if rest, ok := strings.CutPrefix(p, prefix); ok && rest != "" {
			e := *t.entries[p]
			e.Path = rest
			s.entries[rest] = &e
			s.order = append(s.order, rest)
		}
	}
	return s
}

// Without returns the entries not under any of dirs, as a tree with the same paths.
func (t *Tree) Without(dirs []string) *Tree {
	s := NewTree(t.Format, nil)
	for _, p := range t.order {
		if slices.ContainsFunc(dirs, func(d string) bool { return p == d || strings.HasPrefix(p, d+"/") }) {
			continue
		}
		s.entries[p] = t.entries[p]
		s.order = append(s.order, p)
	}
	return s
}
