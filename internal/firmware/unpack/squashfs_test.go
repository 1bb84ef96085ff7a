package unpack

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/siegel-oss/siegel/internal/firmware/fwtest"
	"github.com/siegel-oss/siegel/internal/testtool"

	"github.com/klauspost/compress/zstd"
)

// sqCompressors lists the compressors this mksquashfs was built with.
func sqCompressors(t testing.TB, mk string) map[string]bool {
	out, _ := exec.Command(mk, "-help").CombinedOutput()
	got := map[string]bool{}
	s := string(out)
	i := strings.Index(s, "Compressors available:")
	if i < 0 {
		return got
	}
	for _, line := range strings.Split(s[i:], "\n")[1:] {
		if !strings.HasPrefix(line, "\t\t\t\t") {
			break
		}
		got[strings.Fields(line)[0]] = true
	}
	return got
}

// mksquashfs makes an image of dir with the pseudo definitions in pseudo (may be empty).
func mksquashfs(t testing.TB, dir, pseudo string, args ...string) []byte {
	t.Helper()
	mk := testtool.Path(t, "mksquashfs")
	img := filepath.Join(t.TempDir(), "img.sqsh")
	argv := []string{dir, img, "-noappend", "-no-progress", "-quiet", "-processors", "2"}
	if pseudo != "" {
		pf := filepath.Join(t.TempDir(), "pseudo")
		if err := os.WriteFile(pf, []byte(pseudo), 0o644); err != nil {
			t.Fatal(err)
		}
		argv = append(argv, "-pf", pf)
	}
	argv = append(argv, args...)
	if out, err := exec.Command(mk, argv...).CombinedOutput(); err != nil {
		t.Fatalf("mksquashfs %v: %v\n%s", args, err, out)
	}
	data, err := os.ReadFile(img)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// sqWant is what an entry of an unpacked image must hold.
type sqWant struct {
	mode     fs.FileMode
	uid, gid uint32
	mtime    int64 // -1: not checked
	link     string
	dev      uint64
	data     []byte
	hardlink string // the other name of a hard-linked file
}

const sqPseudoTime = 1_700_000_000

// sqFixture writes a tree that exercises every inode type and returns its directory, the pseudo
// definitions that add owners, special modes and device nodes, and what the image must hold.
func sqFixture(t testing.TB) (string, string, map[string]sqWant) {
	t.Helper()
	dir := t.TempDir()
	rng := rand.New(rand.NewPCG(1, 2))
	random := func(n int) []byte {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(rng.IntN(256))
		}
		return b
	}
	text := func(n int) []byte {
		words := []string{"squashfs ", "firmware ", "router ", "busybox ", "\n", "0x1f ", "init "}
		var b bytes.Buffer
		for b.Len() < n {
			b.WriteString(words[rng.IntN(len(words))])
		}
		return b.Bytes()[:n]
	}
	sparse := make([]byte, 3<<17+1000)
	copy(sparse[3<<17:], bytes.Repeat([]byte("x"), 1000))
	files := map[string][]byte{
		"empty":             {},
		"small.txt":         []byte("hello squashfs\n"),
		"big.bin":           append(random(200_000), text(150_000)...),
		"sparse.bin":        append(sparse, make([]byte, 1<<17)...),
		"tail.bin":          text(1<<17 + 100),
		"a/b/c/deep.txt":    []byte("deep\n"),
		"bin/su":            random(5000),
		"bin/sg":            []byte("#!/bin/sh\n"),
		"srv/index.html":    []byte("notes\n"),
		"lib/libc.so.6":     append(text(70_000), random(9000)...),
		"etc/passwd":        []byte("root:x:0:0:root:/root:/bin/sh\n"),
		"etc/init.d/rcS":    []byte("#!/bin/sh\nmount -a\n"),
		"etc/config/system": text(3000),
	}
	for i := range 400 {
		files[fmt.Sprintf("bigdir/an-entry-with-a-rather-long-name-%04d", i)] = []byte(fmt.Sprint(i))
	}
	for _, d := range []string{"dev", "tmp", "emptydir", "home/user"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for name, data := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(os.Chmod(filepath.Join(dir, "etc/init.d/rcS"), 0o750))
	must(os.Link(filepath.Join(dir, "small.txt"), filepath.Join(dir, "a/b/hard")))
	must(os.Symlink("a/b/c/deep.txt", filepath.Join(dir, "link")))
	must(os.Symlink("/bin/su", filepath.Join(dir, "bin/abslink")))
	// Fixed modification times, children before their directories so they stick.
	var paths []string
	must(filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		paths = append(paths, p)
		return err
	}))
	for i := len(paths) - 1; i >= 0; i-- {
		fi, err := os.Lstat(paths[i])
		must(err)
		if fi.Mode()&fs.ModeSymlink == 0 {
			mt := time.Unix(int64(1_600_000_000+i), 0)
			must(os.Chtimes(paths[i], mt, mt))
		}
	}

	pseudo := fmt.Sprintf(`bin/su M %[1]d 4755 0 0
bin/sg M %[1]d 2755 0 100
tmp M %[1]d 1777 0 0
home/user M %[1]d 700 1000 100
srv/index.html M %[1]d 644 1000 100
dev/null C %[1]d 666 0 0 1 3
dev/sda B %[1]d 660 0 6 8 0
dev/nvme C %[1]d 600 0 0 259 5
dev/fifo I %[1]d 644 0 0 f
dev/sock I %[1]d 600 0 0 s
`, sqPseudoTime)

	want := map[string]sqWant{}
	for _, p := range paths[1:] {
		rel, _ := filepath.Rel(dir, p)
		rel = filepath.ToSlash(rel)
		fi, err := os.Lstat(p)
		must(err)
		st := fi.Sys().(*syscall.Stat_t)
		w := sqWant{mode: fi.Mode(), uid: st.Uid, gid: st.Gid, mtime: fi.ModTime().Unix()}
		switch {
		case fi.Mode().IsRegular():
			w.data = files[rel]
		case fi.Mode()&fs.ModeSymlink != 0:
			w.link, _ = os.Readlink(p)
		}
		want[rel] = w
	}
	hard := want["a/b/hard"]
	hard.hardlink = "small.txt"
	hard.data = files["small.txt"]
	want["a/b/hard"] = hard
	small := want["small.txt"]
	small.hardlink = "a/b/hard"
	want["small.txt"] = small
	set := func(p string, mode fs.FileMode, uid, gid uint32) {
		w, ok := want[p]
		if !ok {
			w = sqWant{}
		}
		w.mode, w.uid, w.gid, w.mtime = mode, uid, gid, sqPseudoTime
		want[p] = w
	}
	set("bin/su", fs.ModeSetuid|0o755, 0, 0)
	set("bin/sg", fs.ModeSetgid|0o755, 0, 100)
	set("tmp", fs.ModeDir|fs.ModeSticky|0o777, 0, 0)
	set("srv/index.html", 0o644, 1000, 100)
	set("home/user", fs.ModeDir|0o700, 1000, 100)
	set("dev/null", fs.ModeDevice|fs.ModeCharDevice|0o666, 0, 0)
	set("dev/sda", fs.ModeDevice|0o660, 0, 6)
	set("dev/nvme", fs.ModeDevice|fs.ModeCharDevice|0o600, 0, 0)
	set("dev/fifo", fs.ModeNamedPipe|0o644, 0, 0)
	set("dev/sock", fs.ModeSocket|0o600, 0, 0)
	devs := map[string]uint64{"dev/null": 1<<8 | 3, "dev/sda": 8 << 8, "dev/nvme": 259<<8 | 5}
	for p, d := range devs {
		w := want[p]
		w.dev = d
		want[p] = w
	}
	return dir, pseudo, want
}

// sqCheckTree compares an unpacked tree with what it must hold.
func sqCheckTree(t *testing.T, tree *Tree, want map[string]sqWant) {
	t.Helper()
	if tree.Format != "squashfs" {
		t.Errorf("Format = %q", tree.Format)
	}
	for p, w := range want {
		e := tree.Entry(p)
		if e == nil {
			t.Errorf("%s: missing", p)
			continue
		}
		if e.Mode != w.mode {
			t.Errorf("%s: mode %v, want %v", p, e.Mode, w.mode)
		}
		if e.UID != w.uid || e.GID != w.gid {
			t.Errorf("%s: owner %d:%d, want %d:%d", p, e.UID, e.GID, w.uid, w.gid)
		}
		if w.mtime >= 0 && e.ModTime.Unix() != w.mtime {
			t.Errorf("%s: mtime %d, want %d", p, e.ModTime.Unix(), w.mtime)
		}
		if w.hardlink != "" {
			if e.Link != "" && e.Link != w.hardlink {
				t.Errorf("%s: hard link to %q, want %q", p, e.Link, w.hardlink)
			}
		} else if e.Link != w.link {
			t.Errorf("%s: link %q, want %q", p, e.Link, w.link)
		}
		if e.Dev != w.dev {
			t.Errorf("%s: dev %#x, want %#x", p, e.Dev, w.dev)
		}
		if !bytes.Equal(e.Data, w.data) {
			t.Errorf("%s: %d bytes of content differ from the %d written", p, len(e.Data), len(w.data))
		}
		if e.Mode.IsRegular() && e.Offset >= 0 && len(e.Data) == 0 {
			t.Errorf("%s: offset %d for an empty file", p, e.Offset)
		}
	}
	if tree.Len() != len(want) {
		for _, e := range tree.Entries() {
			if _, ok := want[e.Path]; !ok {
				t.Errorf("unexpected entry %q", e.Path)
			}
		}
	}
	if a, b := tree.Entry("small.txt"), tree.Entry("a/b/hard"); a != nil && b != nil && (a.Link == "") == (b.Link == "") {
		t.Errorf("hard links: exactly one of small.txt (%q) and a/b/hard (%q) should name the other", a.Link, b.Link)
	}
}

func TestSquashfsRoundTrip(t *testing.T) {
	mk := testtool.Path(t, "mksquashfs")
	comps := sqCompressors(t, mk)
	dir, pseudo, want := sqFixture(t)
	tests := []struct {
		name string
		comp string
		args []string
	}{
		{"gzip", "gzip", nil},
		{"gzip-4k", "gzip", []string{"-b", "4096"}},
		{"gzip-uncompressed", "gzip", []string{"-noI", "-noD", "-noF", "-noX"}},
		{"gzip-no-fragments", "gzip", []string{"-no-fragments"}},
		{"gzip-always-fragments-1M", "gzip", []string{"-always-use-fragments", "-b", "1M"}},
		{"xz", "xz", nil},
		{"xz-4k", "xz", []string{"-b", "4096"}},
		{"lzma", "lzma", nil},
		{"lzo", "lzo", nil},
		{"lzo-4k", "lzo", []string{"-b", "4096"}},
		{"lz4", "lz4", nil},
		{"lz4-hc", "lz4", []string{"-Xhc"}},
		{"xz-bcj", "xz", []string{"-Xbcj", "x86,arm"}}, // branch/call/jump filters before LZMA2, as firmware builds use
		{"zstd", "zstd", nil},
		{"zstd-4k", "zstd", []string{"-b", "4096", "-Xcompression-level", "19"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if !comps[tc.comp] {
				t.Skipf("this mksquashfs cannot write %s", tc.comp)
			}
			img := mksquashfs(t, dir, pseudo, append([]string{"-comp", tc.comp}, tc.args...)...)
			// Trailing bytes, as when the image is carved out of a firmware file.
			data := append(img, bytes.Repeat([]byte{0xff}, 333)...)
			tree, n, err := unpackSquashfs(data, NewBudget(t.Context(), 0, 0, 0))
			if err != nil {
				t.Fatal(err)
			}
			if used := binary.LittleEndian.Uint64(img[40:]); n != int64(used) || n > int64(len(img)) {
				t.Errorf("size %d, want bytes_used %d (image file %d)", n, used, len(img))
			}
			sqCheckTree(t, tree, want)
			if tc.name == "gzip-uncompressed" {
				// Stored blocks are evidence at their offset.
				e := tree.Entry("big.bin")
				if e.Offset < 0 || !bytes.Equal(img[e.Offset:e.Offset+int64(len(e.Data))], e.Data) {
					t.Errorf("big.bin: offset %d does not locate its content", e.Offset)
				}
			}
		})
	}
}

func TestSquashfsInFormats(t *testing.T) {
	for _, f := range Formats() {
		if f.Name == "squashfs" {
			if f.Kind != FileSystem || len(f.Magics) == 0 || f.Unpack == nil {
				t.Errorf("squashfs format incomplete: %+v", f)
			}
			return
		}
	}
	t.Error("squashfs missing from Formats()")
}

// sqSmallImage makes an image with uncompressed metadata, so tests can patch it: d1/d2 (d2 the
// only entry of d1), a file "xx" and a file "aZb".
func sqSmallImage(t *testing.T) []byte {
	dir := t.TempDir()
	for _, p := range []string{"d1/d2", "e"} {
		if err := os.MkdirAll(filepath.Join(dir, p), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for _, p := range []string{"xx", "aZb", "e/f"} {
		if err := os.WriteFile(filepath.Join(dir, p), []byte("content "+p), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return mksquashfs(t, dir, "", "-noI", "-noD", "-noF", "-noX", "-comp", "gzip", "-nopad")
}

// sqDirTable returns the start of the image's directory table.
func sqDirTable(img []byte) int { return int(binary.LittleEndian.Uint64(img[72:])) }

// sqPatchName replaces a name in the (uncompressed) directory table.
func sqPatchName(t *testing.T, img []byte, from, to string) []byte {
	t.Helper()
	out := bytes.Clone(img)
	d := sqDirTable(out)
	i := bytes.Index(out[d:], []byte(from))
	if i < 0 || len(from) != len(to) {
		t.Fatalf("name %q not in the directory table", from)
	}
	copy(out[d+i:], to)
	return out
}

func TestSquashfsErrors(t *testing.T) {
	img := sqSmallImage(t)
	if _, _, err := unpackSquashfs(img, nil); err != nil {
		t.Fatalf("unpatched image: %v", err)
	}
	rootRef := binary.LittleEndian.Uint64(img[32:])

	loop := bytes.Clone(img)
	{
		// d1's listing: a 12-byte header (count, start, inode number), then d2's entry (offset,
		// inode delta, type, name size) and its name "d2". Point d2 at the root directory.
		d := sqDirTable(loop)
		i := bytes.Index(loop[d:], []byte{1, 0, 1, 0, 'd', '2'}) // type 1, name size 1, "d2"
		if i < 0 {
			t.Fatal("entry d2 not found")
		}
		e := d + i - 4
		binary.LittleEndian.PutUint32(loop[e-12+4:], uint32(rootRef>>16))
		binary.LittleEndian.PutUint16(loop[e:], uint16(rootRef))
	}
	badRef := bytes.Clone(img)
	binary.LittleEndian.PutUint64(badRef[32:], rootRef|0x1ff0)
	farRef := bytes.Clone(img)
	binary.LittleEndian.PutUint64(farRef[32:], 1<<40)
	badTable := bytes.Clone(img)
	binary.LittleEndian.PutUint64(badTable[64:], 1<<50)
	badBlockSize := bytes.Clone(img)
	binary.LittleEndian.PutUint32(badBlockSize[12:], 3000)
	v3 := bytes.Clone(img)
	binary.LittleEndian.PutUint16(v3[28:], 3)

	tests := []struct {
		name string
		data []byte
		rule string
	}{
		{"empty", nil, "superblock"},
		{"truncated superblock", img[:50], "superblock"},
		{"truncated half", img[:len(img)/2], "superblock bytes_used"},
		{"truncated by one", img[:len(img)-1], "superblock bytes_used"},
		{"root inode offset beyond its block", badRef, ""},
		{"root inode block outside the table", farRef, "inode reference"},
		{"table offset outside", badTable, "superblock table offsets"},
		{"block size", badBlockSize, "superblock block size"},
		{"version 3", v3, "superblock version"},
		{"directory loop", loop, "directory loop"},
		{"dot-dot name", sqPatchName(t, img, "xx", ".."), "directory entry name"},
		{"slash in name", sqPatchName(t, img, "aZb", "a/b"), "directory entry name"},
		{"NUL in name", sqPatchName(t, img, "aZb", "a\x00b"), "directory entry name"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := unpackSquashfs(tc.data, nil)
			var fe *FormatError
			if !errors.As(err, &fe) {
				t.Fatalf("error %v, want a *FormatError", err)
			}
			if fe.Format != "squashfs" || (tc.rule != "" && fe.Rule != tc.rule) {
				t.Errorf("error %v: format %q rule %q, want squashfs %q", err, fe.Format, fe.Rule, tc.rule)
			}
		})
	}
}

func TestSquashfsLimits(t *testing.T) {
	dir := t.TempDir()
	// 32 MiB of one byte repeated: a few KB compressed (zero blocks would be stored sparse).
	if err := os.WriteFile(filepath.Join(dir, "bomb"), bytes.Repeat([]byte{'A'}, 32<<20), 0o644); err != nil {
		t.Fatal(err)
	}
	for i := range 50 {
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprint("f", i)), []byte{byte(i)}, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	img := mksquashfs(t, dir, "", "-comp", "gzip")
	if len(img) > 1<<20 {
		t.Fatalf("image of %d bytes is no bomb", len(img))
	}
	t.Run("bytes", func(t *testing.T) {
		_, _, err := unpackSquashfs(img, NewBudget(t.Context(), 1<<20, 0, 0))
		if !errors.Is(err, ErrLimit) {
			t.Fatalf("error %v, want ErrLimit", err)
		}
	})
	t.Run("files", func(t *testing.T) {
		_, _, err := unpackSquashfs(img, NewBudget(t.Context(), 0, 10, 0))
		if !errors.Is(err, ErrLimit) {
			t.Fatalf("error %v, want ErrLimit", err)
		}
	})
	t.Run("cancelled", func(t *testing.T) {
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		_, _, err := unpackSquashfs(img, NewBudget(ctx, 0, 0, 0))
		if !errors.Is(err, ErrLimit) {
			t.Fatalf("error %v, want ErrLimit", err)
		}
	})
	t.Run("enough", func(t *testing.T) {
		tree, _, err := unpackSquashfs(img, NewBudget(t.Context(), 33<<20, 0, 0))
		if err != nil {
			t.Fatal(err)
		}
		if e := tree.Entry("bomb"); e == nil || len(e.Data) != 32<<20 || e.Data[12345] != 'A' {
			t.Error("bomb not unpacked whole")
		}
	})
}

func TestSquashfsXZDictSize(t *testing.T) {
	// Stream header, then a block header with one LZMA2 filter of dictionary byte 16 (1 MiB).
	s := append([]byte("\xfd7zXZ\x00\x00\x01\x69\x22\xde\x36"), 0x02, 0x00, 0x21, 0x01, 16, 0, 0, 0, 0, 0, 0, 0)
	n, err := xzDictSize(s)
	if err != nil || n != 1<<20 {
		t.Fatalf("xzDictSize = %d, %v; want %d", n, err, 1<<20)
	}
	if _, err := xzDictSize(s[:14]); err == nil {
		t.Error("short header accepted")
	}
}

// sqSeeds are small real images under testdata, one per compressor, made with
// mksquashfs -nopad -b 4096 from a tree of a directory, files, a symlink and a device.
func sqSeeds(f *testing.F) {
	paths, _ := filepath.Glob("testdata/squashfs/*.sqsh")
	if len(paths) == 0 {
		f.Fatal("no seed images in testdata/squashfs")
	}
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
}

func TestSquashfsSeeds(t *testing.T) {
	paths, _ := filepath.Glob("testdata/squashfs/*.sqsh")
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		tree, _, err := unpackSquashfs(data, nil)
		if err != nil {
			t.Errorf("%s: %v", p, err)
			continue
		}
		if e := tree.Entry("etc/passwd"); e == nil || !bytes.HasPrefix(e.Data, []byte("root:")) {
			t.Errorf("%s: etc/passwd missing or wrong", p)
		}
	}
}

func FuzzSquashfs(f *testing.F) {
	sqSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		b := NewBudget(context.Background(), 8<<20, 5000, 0)
		tree, n, err := unpackSquashfs(data, b)
		if err != nil {
			var fe *FormatError
			if !errors.As(err, &fe) && !errors.Is(err, ErrLimit) {
				t.Fatalf("error %v is neither a *FormatError nor ErrLimit", err)
			}
			return
		}
		if n <= 0 || n > int64(len(data)) {
			t.Fatalf("size %d outside 1..%d", n, len(data))
		}
		for _, e := range tree.Entries() {
			if strings.HasPrefix(e.Path, "/") || strings.Contains("/"+e.Path+"/", "/../") {
				t.Fatalf("unsafe path %q", e.Path)
			}
		}
	})
}

// sqBenchTree writes the benchmark tree (fwtest.WriteBenchTree) into a temporary directory.
func sqBenchTree(tb testing.TB) (string, int64) {
	dir := tb.TempDir()
	total, err := fwtest.WriteBenchTree(dir)
	if err != nil {
		tb.Fatal(err)
	}
	return dir, total
}

// BenchmarkSquashfs unpacks a ~16 MB xz and a ~20 MB gzip image of 3000 files made by mksquashfs.
// Compare with Debian's unsquashfs by bench/firmware/unsquashfs-compare.sh.
func BenchmarkSquashfs(b *testing.B) {
	dir, total := sqBenchTree(b)
	for _, comp := range []string{"xz", "gzip"} {
		b.Run(comp, func(b *testing.B) {
			img := mksquashfs(b, dir, "", "-comp", comp)
			b.SetBytes(total)
			for b.Loop() {
				tree, _, err := unpackSquashfs(img, nil)
				if err != nil {
					b.Fatal(err)
				}
				if tree.Len() < 3000 {
					b.Fatalf("%d entries", tree.Len())
				}
			}
			b.ReportMetric(float64(len(img))/1e6, "image_MB")
		})
	}
}

// Regression: zstd decoded into a block's slice of a file's buffer must not write past the block,
// where another goroutine may be filling the next one.
func TestSquashfsZstdStaysInBlock(t *testing.T) {
	enc, err := zstd.NewWriter(nil, zstd.WithEncoderLevel(zstd.SpeedBestCompression))
	if err != nil {
		t.Fatal(err)
	}
	d, err := newSqDecompressor(sqCompZstd, 4096)
	if err != nil {
		t.Fatal(err)
	}
	defer closeSqDecompressor(d)
	rng := rand.New(rand.NewPCG(5, 6))
	for i := range 100 {
		plain := make([]byte, 4096)
		for j := range plain {
			if j < i*40 {
				plain[j] = byte(rng.Uint32())
			} else {
				plain[j] = "abcdefghij \n"[rng.IntN(3)+j%7]
			}
		}
		src := enc.EncodeAll(plain, nil)
		buf := bytes.Repeat([]byte{0xee}, 8192)
		n, err := d.decompress(buf[:4096], src)
		if err != nil || n != len(plain) || !bytes.Equal(buf[:n], plain) {
			t.Fatalf("decompress = %d, %v", n, err)
		}
		for j := n; j < len(buf); j++ {
			if buf[j] != 0xee {
				t.Fatalf("case %d: byte %d past the block overwritten", i, j)
			}
		}
	}
}
