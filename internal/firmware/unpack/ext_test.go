package unpack

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/siegel-oss/siegel/internal/testtool"

	"github.com/google/go-cmp/cmp"
)

const extfixSlowLink = "/a/target/path/long/enough/that/it/cannot/live/inside/the/inode/itself.txt"

// extfixTree fills dir with the files every file-system test round-trips. Owners and device
// nodes need root; without it they are left out.
func extfixTree(tb testing.TB, dir string) {
	tb.Helper()
	root := os.Geteuid() == 0
	rng := rand.New(rand.NewPCG(1, 2))
	random := func(n int) []byte {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(rng.Uint32())
		}
		return b
	}
	must := func(err error) {
		tb.Helper()
		if err != nil {
			tb.Fatal(err)
		}
	}
	write := func(name string, data []byte, mode fs.FileMode) {
		tb.Helper()
		p := filepath.Join(dir, name)
		must(os.MkdirAll(filepath.Dir(p), 0o755))
		must(os.WriteFile(p, data, mode))
		must(os.Chmod(p, mode))
	}
	write("empty", nil, 0o644)
	write("small.txt", []byte("hello, firmware\n"), 0o644)
	write("dir/big.bin", random(300_000), 0o600) // past the double-indirect boundary with 1 KiB blocks
	write("a/b/c/deep.txt", []byte("deep\n"), 0o444)
	write("suid", []byte("#!/bin/sh\n"), fs.ModeSetuid|0o755)
	write("sgid", []byte("#!/bin/sh\n"), fs.ModeSetgid|0o755)
	must(os.Mkdir(filepath.Join(dir, "sticky"), 0o755))
	must(os.Chmod(filepath.Join(dir, "sticky"), fs.ModeSticky|0o777))
	for i := range 500 {
		write(fmt.Sprintf("many/entry-with-a-longish-name-%03d", i), []byte(fmt.Sprintf("%d\n", i)), 0o644)
	}
	// A sparse file: six islands of data in a megabyte of holes, which takes more extents than
	// fit in the inode (an extent index block) and leaves holes in block maps.
	f, err := os.Create(filepath.Join(dir, "sparse.bin"))
	must(err)
	for i := range 6 {
		_, err := f.WriteAt(random(5000), int64(i)*200_000+1234)
		must(err)
	}
	must(f.Truncate(1_300_000))
	must(f.Close())
	must(os.Symlink("small.txt", filepath.Join(dir, "link-fast")))
	must(os.Symlink(extfixSlowLink, filepath.Join(dir, "link-slow")))
	must(os.Link(filepath.Join(dir, "small.txt"), filepath.Join(dir, "dir/hard.txt")))
	must(syscall.Mkfifo(filepath.Join(dir, "fifo"), 0o640))
	write("future", []byte("y2100\n"), 0o644)
	must(os.Chtimes(filepath.Join(dir, "future"), time.Time{}, time.Date(2100, 1, 2, 3, 4, 5, 0, time.UTC)))
	if root {
		must(syscall.Mknod(filepath.Join(dir, "dev-null"), syscall.S_IFCHR|0o666, 1<<8|3))
		must(syscall.Mknod(filepath.Join(dir, "dev-sda1"), syscall.S_IFBLK|0o660, 8<<8|1))
		// major 300, minor 70000: Linux's new encoding, stored in i_block[1] by ext.
		must(syscall.Mknod(filepath.Join(dir, "dev-big"), syscall.S_IFCHR|0o600, 70000&0xff|300<<8|(70000&^0xff)<<12))
		must(os.Lchown(filepath.Join(dir, "small.txt"), 1000, 100))
		must(os.Lchown(filepath.Join(dir, "dir"), 1000, 100))
		must(os.Lchown(filepath.Join(dir, "link-slow"), 1000, 100))
		must(os.Lchown(filepath.Join(dir, "suid"), 70000, 70001)) // needs the high 16 bits
	}
	// Fixed times (after the owners changed, which touches nothing but ctime) so images are
	// reproducible; "future" keeps its year 2100.
	must(filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || p == dir || d.Name() == "future" {
			return err
		}
		t := time.Date(2021, 3, 4, 5, 6, 7, 0, time.UTC)
		if d.Type()&fs.ModeSymlink != 0 {
			return nil
		}
		return os.Chtimes(p, t, t)
	}))
}

// extfixWant is what a test expects of an entry.
type extfixWant struct {
	Mode    fs.FileMode
	UID     uint32
	GID     uint32
	ModTime time.Time
	Link    string
	Dev     uint64
	Size    int64
	SHA256  string
}

func extfixSum(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:8])
}

// extfixExpect reads the source tree back as entries; adjust rewrites each to what a format keeps.
func extfixExpect(tb testing.TB, dir string, adjust func(p string, w *extfixWant)) map[string]extfixWant {
	tb.Helper()
	want := map[string]extfixWant{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || p == dir {
			return err
		}
		fi, err := os.Lstat(p)
		if err != nil {
			return err
		}
		st := fi.Sys().(*syscall.Stat_t)
		rel, _ := filepath.Rel(dir, p)
		w := extfixWant{Mode: fi.Mode(), UID: st.Uid, GID: st.Gid, ModTime: fi.ModTime().UTC()}
		switch {
		case fi.Mode().IsRegular():
			data, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			w.Size, w.SHA256 = int64(len(data)), extfixSum(data)
		case fi.Mode()&fs.ModeSymlink != 0:
			w.Link, _ = os.Readlink(p)
		case fi.Mode()&fs.ModeDevice != 0:
			w.Dev = st.Rdev
		}
		adjust(filepath.ToSlash(rel), &w)
		want[filepath.ToSlash(rel)] = w
		return nil
	})
	if err != nil {
		tb.Fatal(err)
	}
	return want
}

func extfixGot(tr *Tree, skip func(string) bool) map[string]extfixWant {
	got := map[string]extfixWant{}
	for _, e := range tr.Entries() {
		if skip(e.Path) {
			continue
		}
		w := extfixWant{Mode: e.Mode, UID: e.UID, GID: e.GID, ModTime: e.ModTime, Link: e.Link, Dev: e.Dev}
		if e.Mode.IsRegular() {
			w.Size, w.SHA256 = e.Size(), extfixSum(e.Data)
		}
		got[e.Path] = w
	}
	return got
}

type extCase struct {
	name  string
	args  []string
	isz   int
	htree bool
}

var extCases = []extCase{
	{name: "ext2-1k-128", args: []string{"-t", "ext2", "-b", "1024", "-I", "128"}, isz: 128, htree: true},
	{name: "ext2-4k-256", args: []string{"-t", "ext2", "-b", "4096", "-I", "256"}, isz: 256, htree: true},
	{name: "ext3-1k-256", args: []string{"-t", "ext3", "-b", "1024", "-I", "256"}, isz: 256, htree: true},
	{name: "ext4-4k-256", args: []string{"-t", "ext4", "-b", "4096", "-I", "256"}, isz: 256, htree: true},
	{name: "ext4-1k-128-nojournal", args: []string{"-t", "ext4", "-b", "1024", "-I", "128", "-O", "^has_journal"}, isz: 128, htree: true},
	{name: "ext4-4k-inline", args: []string{"-t", "ext4", "-b", "4096", "-I", "256", "-O", "inline_data,^has_journal"}, isz: 256, htree: true},
	{name: "ext4-1k-64bit-metabg", args: []string{"-t", "ext4", "-b", "1024", "-I", "256", "-O", "64bit,meta_bg,^resize_inode"}, isz: 256, htree: true},
}

// extImage builds an image of src with mke2fs, then lets e2fsck -D index the large directories
// and debugfs run commands.
func extImage(tb testing.TB, src string, args []string, size int64, debugfs ...string) []byte {
	tb.Helper()
	mke2fs := testtool.Path(tb, "mke2fs")
	e2fsck := testtool.Path(tb, "e2fsck")
	img := filepath.Join(tb.TempDir(), "img")
	// mke2fs sizes the file system to an existing file; one it creates may be left short.
	if err := os.WriteFile(img, nil, 0o644); err != nil {
		tb.Fatal(err)
	}
	if err := os.Truncate(img, size); err != nil {
		tb.Fatal(err)
	}
	a := append([]string{"-q", "-F", "-N", "2048", "-E", "root_owner=0:0", "-U", "clear", "-d", src}, args...)
	runQuiet(tb, mke2fs, append(a, img)...)
	if len(debugfs) > 0 {
		cmds := filepath.Join(tb.TempDir(), "cmds")
		if err := os.WriteFile(cmds, []byte(strings.Join(debugfs, "\n")+"\n"), 0o644); err != nil {
			tb.Fatal(err)
		}
		runQuiet(tb, testtool.Path(tb, "debugfs"), "-w", "-f", cmds, img)
	}
	// Exit status 1 means the directories were optimised.
	if out, err := exec.Command(e2fsck, "-fyD", img).CombinedOutput(); err != nil {
		if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() > 1 {
			tb.Fatalf("e2fsck: %v\n%s", err, out)
		}
	}
	data, err := os.ReadFile(img)
	if err != nil {
		tb.Fatal(err)
	}
	return data
}

func TestExtRoundTrip(t *testing.T) {
	src := t.TempDir()
	extfixTree(t, src)
	for _, tc := range extCases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			// mke2fs -d keeps whole seconds of times before 2038; large inodes can hold more.
			var fix []string
			if tc.isz > 128 {
				fix = []string{"sif future mtime 21000102030405", "sif a/b/c/deep.txt mtime_extra 0x1d6f3454"}
			}
			img := extImage(t, src, tc.args, 8<<20, fix...)
			tr, n, err := unpackExt(img, NewBudget(t.Context(), 0, 0, 0))
			if err != nil {
				t.Fatal(err)
			}
			if n != int64(len(img)) {
				t.Errorf("size %d, want %d", n, len(img))
			}
			want := extfixExpect(t, src, func(p string, w *extfixWant) {
				w.ModTime = w.ModTime.Truncate(time.Second)
				switch {
				case p == "future" && tc.isz == 128:
					w.ModTime = time.Unix(int64(int32(w.ModTime.Unix())), 0).UTC() // no epoch bits
				case p == "a/b/c/deep.txt" && tc.isz > 128:
					w.ModTime = w.ModTime.Add(123456789)
				}
			})
			got := extfixGot(tr, func(p string) bool { return p == "lost+found" })
			if strings.Contains(tc.name, "inline") {
				// mke2fs 1.47.0 -d with inline_data leaves a file ending in a hole short.
				delete(want, "sparse.bin")
				delete(got, "sparse.bin")
			}
			if d := cmp.Diff(want, got); d != "" {
				t.Errorf("entries (-want +got):\n%s", d)
			}
			for _, e := range tr.Entries() {
				if e.Offset >= 0 && !bytes.Equal(img[e.Offset:e.Offset+e.Size()], e.Data) {
					t.Errorf("%s: content is not at offset %d", e.Path, e.Offset)
				}
			}
			if e := tr.Entry("suid"); e == nil || e.Offset < 0 {
				t.Errorf("suid: no offset for content stored in one piece")
			}
			x, err := newExtFS(img, nil)
			if err != nil {
				t.Fatal(err)
			}
			many := extLookup(t, x, "many")
			if got := many.flags&0x1000 != 0; got != tc.htree {
				t.Errorf("many: hash-indexed %v, want %v", got, tc.htree)
			}
			if tc.isz == 256 && !strings.Contains(tc.name, "ext2") && !strings.Contains(tc.name, "ext3") {
				sp := extLookup(t, x, "sparse.bin")
				if d := extU16(sp.raw, 0x28+6); d < 1 {
					t.Errorf("sparse.bin: extent tree depth %d, want an index node", d)
				}
			}
			if strings.Contains(tc.name, "inline") {
				if in := extLookup(t, x, "small.txt"); in.flags&extFlagInlineData == 0 {
					t.Errorf("small.txt is not stored inline")
				}
				if in := extLookup(t, x, "a"); in.flags&extFlagInlineData == 0 {
					t.Errorf("directory a is not stored inline")
				}
			}
		})
	}
}

// TestExtTripleIndirect reads a sparse file whose only data lies past the double-indirect
// range of a 1 KiB-block map (12 + 256 + 256² blocks), so it takes the triple-indirect path.
func TestExtTripleIndirect(t *testing.T) {
	src := t.TempDir()
	f, err := os.Create(filepath.Join(src, "far"))
	if err != nil {
		t.Fatal(err)
	}
	const at = 70 << 20
	if _, err := f.WriteAt([]byte("far away"), at); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	img := extImage(t, src, []string{"-t", "ext2", "-b", "1024", "-I", "128"}, 4<<20)
	tr, _, err := unpackExt(img, nil)
	if err != nil {
		t.Fatal(err)
	}
	e := tr.Entry("far")
	if e == nil || e.Size() != at+8 {
		t.Fatalf("far = %v", e)
	}
	if string(e.Data[at:]) != "far away" || bytes.ContainsFunc(e.Data[:at], func(r rune) bool { return r != 0 }) {
		t.Errorf("far: wrong content")
	}
	x, err := newExtFS(img, nil)
	if err != nil {
		t.Fatal(err)
	}
	if in := extLookup(t, x, "far"); extU32(in.raw, 0x28+14*4) == 0 {
		t.Errorf("far: no triple-indirect block")
	}
}

// extLookup finds the inode at p, a path below the root.
func extLookup(tb testing.TB, x *extFS, p string) *extInode {
	tb.Helper()
	in, err := x.inode(extRootIno)
	if err != nil {
		tb.Fatal(err)
	}
	x.dirBytes = 0
next:
	for _, part := range strings.Split(p, "/") {
		ents, err := x.readDir(in)
		if err != nil {
			tb.Fatal(err)
		}
		for _, de := range ents {
			if de.name == part {
				if in, err = x.inode(de.ino); err != nil {
					tb.Fatal(err)
				}
				continue next
			}
		}
		tb.Fatalf("%s: not found", p)
	}
	return in
}

func TestExtErrors(t *testing.T) {
	src := t.TempDir()
	extfixTree(t, src)
	ext2 := extImage(t, src, []string{"-t", "ext2", "-b", "1024", "-I", "128"}, 8<<20)
	ext4 := extImage(t, src, []string{"-t", "ext4", "-b", "4096", "-I", "256", "-O", "^has_journal"}, 8<<20)
	patch := func(img []byte, f func(x *extFS, img []byte)) []byte {
		img = bytes.Clone(img)
		x, err := newExtFS(img, nil)
		if err != nil {
			t.Fatal(err)
		}
		f(x, img)
		return img
	}
	put32 := func(b []byte, off int64, v uint32) {
		b[off], b[off+1], b[off+2], b[off+3] = byte(v), byte(v>>8), byte(v>>16), byte(v>>24)
	}
	tests := []struct {
		name  string
		img   []byte
		rule  string
		limit int64
	}{
		{name: "truncated", img: ext4[:len(ext4)/2], rule: "superblock"},
		{name: "truncated superblock", img: ext4[:1500], rule: "superblock"},
		{name: "bad block size", img: patch(ext4, func(_ *extFS, b []byte) { put32(b, 1024+0x18, 9) }), rule: "superblock"},
		{name: "bad inode count", img: patch(ext4, func(_ *extFS, b []byte) { put32(b, 1024, 12345) }), rule: "superblock"},
		{name: "unknown feature", img: patch(ext4, func(_ *extFS, b []byte) { put32(b, 1024+0x60, extU32(b, 1024+0x60)|1<<30) }), rule: "superblock"},
		{name: "inode table beyond image", img: patch(ext4, func(x *extFS, b []byte) { put32(b, int64(x.bs)+8, 0xfffffff0) }), rule: "group descriptor"},
		{name: "block map pointer", img: patch(ext2, func(x *extFS, b []byte) {
			put32(b, extLookup(t, x, "dir/big.bin").off+0x28, 0x7fffffff)
		}), rule: "block pointer"},
		{name: "double indirect pointer", img: patch(ext2, func(x *extFS, b []byte) {
			put32(b, extLookup(t, x, "dir/big.bin").off+0x28+13*4, 0x7fffffff)
		}), rule: "block pointer"},
		{name: "extent pointer", img: patch(ext4, func(x *extFS, b []byte) {
			put32(b, extLookup(t, x, "dir/big.bin").off+0x28+12+8, 0x7fffffff)
		}), rule: "block pointer"},
		{name: "extent magic", img: patch(ext4, func(x *extFS, b []byte) {
			put32(b, extLookup(t, x, "dir/big.bin").off+0x28, 0)
		}), rule: "extent header"},
		{name: "extent index reached twice", img: patch(ext4, func(x *extFS, b []byte) {
			at := extLookup(t, x, "sparse.bin").off + 0x28
			b[at+2] = 2                          // two entries
			copy(b[at+24:at+36], b[at+12:at+24]) // the second repeats the first
		}), rule: "extent index"},
		{name: "directory loop", img: patch(ext2, func(x *extFS, b []byte) {
			// Point a/b/c's entry for deep.txt at a, an ancestor.
			i := bytes.Index(b, []byte("\x08\x01deep.txt"))
			a := extLookup(t, x, "a")
			put32(b, int64(i-6), a.num)
			b[i+1] = 2
		}), rule: "directory loop"},
		{name: "directory size", img: patch(ext4, func(x *extFS, b []byte) {
			put32(b, extLookup(t, x, "many").off+0x6c, 1)
		}), rule: "directory size"},
		{name: "entry record length", img: patch(ext2, func(x *extFS, b []byte) {
			i := bytes.Index(b, []byte("\x08\x01deep.txt"))
			b[i-2] = 3 // rec_len 3, below the 8-byte header
			b[i-1] = 0
		}), rule: "directory entry"},
		{name: "budget", img: ext4, limit: 100_000},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b := NewBudget(t.Context(), tc.limit, 0, 0)
			_, _, err := unpackExt(tc.img, b)
			if tc.limit > 0 {
				if !errors.Is(err, ErrLimit) {
					t.Fatalf("err = %v, want ErrLimit", err)
				}
				return
			}
			var fe *FormatError
			if !errors.As(err, &fe) {
				t.Fatalf("err = %v, want a *FormatError", err)
			}
			if fe.Rule != tc.rule || fe.Format != "ext" {
				t.Errorf("err = %v, want rule %q", err, tc.rule)
			}
		})
	}
}

func TestExtCanceled(t *testing.T) {
	img := extfixSeed(t, "testdata/ext4-small.img.gz")
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, _, err := unpackExt(img, NewBudget(ctx, 0, 0, 0)); !errors.Is(err, ErrLimit) {
		t.Fatalf("err = %v, want ErrLimit", err)
	}
}

// extfixSeed reads a gzip-compressed image from testdata.
func extfixSeed(tb testing.TB, name string) []byte {
	tb.Helper()
	f, err := os.Open(name)
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		tb.Fatal(err)
	}
	data, err := io.ReadAll(zr)
	if err != nil {
		tb.Fatal(err)
	}
	return data
}

// TestExtSeeds checks the committed fuzz seeds, 64 KiB images of a tree holding d/hello ("hello\n"),
// d/five (x, 4998 zeros, x) and link -> d/hello, made with e2fsprogs 1.47.0:
//
//	mke2fs -t ext2 -b 1024 -N 16 -U clear -E root_owner=0:0 -d src ext2-small.img
//	mke2fs -t ext4 -O ^has_journal,^resize_inode,inline_data -b 1024 -I 256 -N 16 -U clear -E root_owner=0:0 -d src ext4-small.img
func TestExtSeeds(t *testing.T) {
	for _, name := range []string{"testdata/ext2-small.img.gz", "testdata/ext4-small.img.gz"} {
		tr, _, err := unpackExt(extfixSeed(t, name), nil)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if e := tr.Entry("d/hello"); e == nil || string(e.Data) != "hello\n" {
			t.Errorf("%s: d/hello = %+v", name, e)
		}
		if e := tr.Entry("link"); e == nil || e.Link != "d/hello" {
			t.Errorf("%s: link = %+v", name, e)
		}
		five := make([]byte, 5000)
		five[0], five[4999] = 'x', 'x'
		if e := tr.Entry("d/five"); e == nil || !bytes.Equal(e.Data, five) {
			t.Errorf("%s: d/five is not x, 4998 zeros, x", name)
		}
	}
}

// extfixCompact codes runs of 0x00 and 0xff, which fill most of a small image, as the byte and
// how many more copies follow (0-255). The fuzzer's inputs stay a few KB, which it mutates and
// minimises in a fraction of the time it takes for a 64 KiB image.
func extfixCompact(img []byte) []byte {
	var out []byte
	for i := 0; i < len(img); {
		c := img[i]
		out = append(out, c)
		i++
		if c != 0 && c != 0xff {
			continue
		}
		n := 0
		for n < 255 && i < len(img) && img[i] == c {
			n++
			i++
		}
		out = append(out, byte(n))
	}
	return out
}

// extfixExpand undoes extfixCompact, stopping at 256 KiB.
func extfixExpand(in []byte) []byte {
	var out []byte
	for i := 0; i < len(in) && len(out) < 256<<10; i++ {
		c := in[i]
		out = append(out, c)
		if (c == 0 || c == 0xff) && i+1 < len(in) {
			i++
			for range in[i] {
				out = append(out, c)
			}
		}
	}
	return out
}

func TestExtfixCompact(t *testing.T) {
	img := extfixSeed(t, "testdata/ext4-small.img.gz")
	if got := extfixExpand(extfixCompact(img)); !bytes.Equal(got, img) {
		t.Fatalf("expand(compact(image)) differs from the image")
	}
}

// FuzzExt takes images coded by extfixCompact.
func FuzzExt(f *testing.F) {
	f.Add(extfixCompact(extfixSeed(f, "testdata/ext2-small.img.gz")))
	f.Add(extfixCompact(extfixSeed(f, "testdata/ext4-small.img.gz")))
	f.Fuzz(func(t *testing.T, data []byte) {
		data = extfixExpand(data)
		tr, n, err := unpackExt(data, NewBudget(context.Background(), 1<<20, 10_000, 0))
		if err != nil {
			var fe *FormatError
			if !errors.As(err, &fe) && !errors.Is(err, ErrLimit) {
				t.Fatalf("error of type %T: %v", err, err)
			}
			return
		}
		if n <= 0 || n > int64(len(data)) {
			t.Fatalf("size %d of %d bytes", n, len(data))
		}
		for _, e := range tr.Entries() {
			if e.Offset >= 0 && e.Offset+e.Size() > n {
				t.Fatalf("%s: offset %d past the image", e.Path, e.Offset)
			}
		}
	})
}

// BenchmarkExt4 unpacks a 16 MB ext4 image of 3,000 files.
func BenchmarkExt4(b *testing.B) {
	src := b.TempDir()
	rng := rand.New(rand.NewPCG(3, 4))
	for i := range 3000 {
		p := filepath.Join(src, fmt.Sprintf("d%02d/f%04d", i%50, i))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			b.Fatal(err)
		}
		data := make([]byte, 1000+rng.IntN(4000))
		for j := range data {
			data[j] = byte(rng.Uint32())
		}
		if err := os.WriteFile(p, data, 0o644); err != nil {
			b.Fatal(err)
		}
	}
	img := extImage(b, src, []string{"-t", "ext4", "-b", "1024", "-I", "256", "-N", "4096"}, 16<<20)
	b.SetBytes(int64(len(img)))
	b.ResetTimer()
	var files int
	for b.Loop() {
		tr, _, err := unpackExt(img, NewBudget(context.Background(), 0, 0, 0))
		if err != nil {
			b.Fatal(err)
		}
		files = tr.Len()
	}
	b.ReportMetric(float64(files), "entries/op")
}
