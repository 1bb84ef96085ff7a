package unpack

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/siegel-oss/siegel/internal/testtool"

	"github.com/ulikunitz/xz/lzma"
)

// flashNeedTools skips the test (or fails it, see testtool.Path) without the mtd-utils tools.
func flashNeedTools(t testing.TB, tools ...string) {
	t.Helper()
	for _, tool := range tools {
		testtool.Path(t, tool)
	}
}

// flashSourceTree writes a directory tree exercising every kind of entry the flash file systems
// store. Ownership and device nodes need root; without it they are left out.
func flashSourceTree(t testing.TB) string {
	t.Helper()
	dir := t.TempDir()
	root := os.Geteuid() == 0
	w := func(p string, data []byte, mode fs.FileMode) {
		if err := os.WriteFile(filepath.Join(dir, p), data, 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(filepath.Join(dir, p), mode); err != nil {
			t.Fatal(err)
		}
	}
	for _, d := range []string{"etc", "etc/init.d", "usr/lib/deep/er", "tmp", "shared", "dev"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	rng := rand.New(rand.NewPCG(1, 2))
	noise := make([]byte, 9000)
	for i := range noise {
		noise[i] = byte(rng.Uint32())
	}
	text := bytes.Repeat([]byte("root:x:0:0:root:/root:/bin/sh\n"), 700) // several pages, compressible
	w("empty", nil, 0o644)
	w("etc/passwd", []byte("root:x:0:0::/root:/bin/sh\n"), 0o644)
	w("etc/big.txt", text, 0o640)
	w("usr/lib/deep/er/noise.bin", noise, 0o644)
	w("etc/init.d/rcS", []byte("#!/bin/sh\nexit 0\n"), 0o755)
	w("usr/su", []byte("\x7fELF fake setuid"), 0o4755)
	w("usr/sg", []byte("setgid"), 0o2711)
	if err := os.Chmod(filepath.Join(dir, "tmp"), 0o1777); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(filepath.Join(dir, "shared"), 0o2775); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("../etc/passwd", filepath.Join(dir, "usr/passwd-link")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("/a/very/long/"+strings.Repeat("x", 200), filepath.Join(dir, "longlink")); err != nil {
		t.Fatal(err)
	}
	if err := os.Link(filepath.Join(dir, "etc/passwd"), filepath.Join(dir, "etc/passwd.hard")); err != nil {
		t.Fatal(err)
	}
	if root {
		must := func(err error) {
			if err != nil {
				t.Fatal(err)
			}
		}
		must(os.Lchown(filepath.Join(dir, "etc/passwd"), 1000, 100))
		must(os.Lchown(filepath.Join(dir, "usr/su"), 1000, 100))
		must(os.Lchown(filepath.Join(dir, "usr/passwd-link"), 1000, 100))
		must(os.Lchown(filepath.Join(dir, "shared"), 1000, 100))
		must(syscall.Mknod(filepath.Join(dir, "dev/null"), syscall.S_IFCHR|0o666, 1<<8|3))
		must(syscall.Mknod(filepath.Join(dir, "dev/sda1"), syscall.S_IFBLK|0o660, 8<<8|1))
		must(syscall.Mknod(filepath.Join(dir, "dev/fifo"), syscall.S_IFIFO|0o600, 0))
	}
	// Fixed times last, so that creating children does not change the directories' times.
	mt := time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC)
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.Type()&fs.ModeSymlink != 0 {
			return err
		}
		return os.Chtimes(p, mt, mt)
	})
	if err != nil {
		t.Fatal(err)
	}
	return dir
}

// flashCheckTree compares every entry of src with the unpacked tree: type and permission bits,
// owner, time (to the second), content, link target and device number.
func flashCheckTree(t *testing.T, src string, tr *Tree) {
	t.Helper()
	seen := 0
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil || p == src {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		seen++
		fi, err := os.Lstat(p)
		if err != nil {
			return err
		}
		st := fi.Sys().(*syscall.Stat_t)
		e := tr.Entry(filepath.ToSlash(rel))
		if e == nil {
			t.Errorf("%s: missing from the tree", rel)
			return nil
		}
		if e.Mode != fi.Mode() {
			t.Errorf("%s: mode %v, want %v", rel, e.Mode, fi.Mode())
		}
		if e.UID != st.Uid || e.GID != st.Gid {
			t.Errorf("%s: owner %d:%d, want %d:%d", rel, e.UID, e.GID, st.Uid, st.Gid)
		}
		if fi.Mode()&fs.ModeSymlink == 0 && e.ModTime.Unix() != fi.ModTime().Unix() {
			t.Errorf("%s: mtime %v, want %v", rel, e.ModTime, fi.ModTime())
		}
		switch {
		case fi.Mode().IsRegular():
			want, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			if !bytes.Equal(e.Data, want) {
				t.Errorf("%s: %d bytes differ from the %d written", rel, len(e.Data), len(want))
			}
		case fi.Mode()&fs.ModeSymlink != 0:
			want, _ := os.Readlink(p)
			if e.Link != want {
				t.Errorf("%s: link %q, want %q", rel, e.Link, want)
			}
		case fi.Mode()&fs.ModeDevice != 0:
			major, minor := uint64(st.Rdev>>8)&0xfff, uint64(st.Rdev&0xff)|uint64(st.Rdev>>12)&0xfff00
			if e.Dev != major<<8|minor {
				t.Errorf("%s: device %#x, want %#x", rel, e.Dev, major<<8|minor)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if tr.Len() != seen {
		var names []string
		for _, e := range tr.Entries() {
			names = append(names, e.Path)
		}
		t.Errorf("tree holds %d entries, source %d: %v", tr.Len(), seen, names)
	}
	a, b := tr.Entry("etc/passwd"), tr.Entry("etc/passwd.hard")
	if a != nil && b != nil && b.Link != "etc/passwd" {
		t.Errorf("hard link: Link %q, want etc/passwd", b.Link)
	}
}

// flashDigest sums up a tree's paths and contents, to tell whether two trees differ.
func flashDigest(tr *Tree) string {
	var sb strings.Builder
	for _, e := range tr.Entries() {
		sb.WriteString(e.Path + "\x00" + string(e.Data) + "\x00")
	}
	return sb.String()
}

func mkfsJFFS2(t testing.TB, src string, args ...string) []byte {
	t.Helper()
	out := filepath.Join(t.TempDir(), "img.jffs2")
	runQuiet(t, "mkfs.jffs2", append([]string{"-r", src, "-o", out, "-e", "0x10000", "-p"}, args...)...)
	img, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

// jffs2ComprUsed counts the data nodes of img by compression.
func jffs2ComprUsed(img []byte, bo binary.ByteOrder) map[byte]int {
	used := map[byte]int{}
	for pos := 0; pos+jffs2HeaderLen <= len(img); pos += 4 {
		n, ok := jffs2Header(img, pos, bo)
		if !ok || bo.Uint16(img[pos+2:]) != jffs2Inode {
			continue
		}
		if in, _, ok := jffs2ParseInode(img[pos:pos+n], pos, bo); ok && in.dsize > 0 {
			used[in.compr]++
		}
		pos += (n+3)&^3 - 4
	}
	return used
}

func TestJFFS2RoundTrip(t *testing.T) {
	flashNeedTools(t, "mkfs.jffs2")
	src := flashSourceTree(t)
	tests := []struct {
		name  string
		args  []string
		bo    binary.ByteOrder
		compr byte // a compression the image must use
	}{
		{"little endian zlib", []string{"-l"}, binary.LittleEndian, jffs2ComprZlib},
		{"big endian zlib", []string{"-b"}, binary.BigEndian, jffs2ComprZlib},
		{"none", []string{"-l", "-m", "none"}, binary.LittleEndian, jffs2ComprNone},
		{"rtime", []string{"-b", "-x", "zlib"}, binary.BigEndian, jffs2ComprRtime},
		{"lzo", []string{"-l", "-X", "lzo", "-x", "zlib", "-x", "rtime"}, binary.LittleEndian, jffs2ComprLZO},
		{"size mode", []string{"-l", "-X", "lzo", "-m", "size"}, binary.LittleEndian, jffs2ComprLZO},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			img := mkfsJFFS2(t, src, tc.args...)
			if used := jffs2ComprUsed(img, tc.bo); used[tc.compr] == 0 {
				t.Fatalf("fixture uses compressions %v, not %d", used, tc.compr)
			}
			// Something else follows the image: it must not be read as part of it.
			data := append(append([]byte{}, img...), bytes.Repeat([]byte("not jffs2 "), 200_000)...)
			tr, n, err := unpackJFFS2(data, NewBudget(t.Context(), 0, 0, 0))
			if err != nil {
				t.Fatal(err)
			}
			if n != int64(len(img)) {
				t.Errorf("image occupies %d bytes, want %d", n, len(img))
			}
			flashCheckTree(t, src, tr)
		})
	}
}

// jffs2Builder writes nodes as mkfs.jffs2 and the kernel do, for the cases an image tool cannot
// produce: newer versions, deletions, damage.
type jffs2Builder struct {
	bo  binary.ByteOrder
	buf []byte
}

func (w *jffs2Builder) node(typ uint16, body []byte) int {
	pos := len(w.buf)
	h := make([]byte, 12, 12+len(body))
	w.bo.PutUint16(h, 0x1985)
	w.bo.PutUint16(h[2:], typ)
	w.bo.PutUint32(h[4:], uint32(12+len(body)))
	w.bo.PutUint32(h[8:], jffs2CRC(h[:8]))
	w.buf = append(w.buf, append(h, body...)...)
	for len(w.buf)%4 != 0 {
		w.buf = append(w.buf, 0)
	}
	return pos
}

func (w *jffs2Builder) dirent(pino, version, ino uint32, name string, dtype byte) int {
	b := make([]byte, 28)
	w.bo.PutUint32(b[0:], pino)
	w.bo.PutUint32(b[4:], version)
	w.bo.PutUint32(b[8:], ino)
	b[16], b[17] = byte(len(name)), dtype
	// node_crc covers the header too: fill it in once the node is written.
	pos := w.node(jffs2Dirent, append(b, []byte(name)...))
	node := w.buf[pos:]
	w.bo.PutUint32(node[32:], jffs2CRC(node[:32]))
	w.bo.PutUint32(node[36:], jffs2CRC([]byte(name)))
	return pos
}

func (w *jffs2Builder) inode(ino, version, mode uint32, isize, offset uint32, compr byte, dsize uint32, data []byte) int {
	b := make([]byte, 56)
	w.bo.PutUint32(b[0:], ino)
	w.bo.PutUint32(b[4:], version)
	w.bo.PutUint32(b[8:], mode)
	w.bo.PutUint16(b[12:], 1000)
	w.bo.PutUint16(b[14:], 100)
	w.bo.PutUint32(b[16:], isize)
	w.bo.PutUint32(b[24:], 1700000000) // mtime
	w.bo.PutUint32(b[32:], offset)
	w.bo.PutUint32(b[36:], uint32(len(data)))
	w.bo.PutUint32(b[40:], dsize)
	b[44] = compr
	pos := w.node(jffs2Inode, append(b, data...))
	node := w.buf[pos:]
	w.bo.PutUint32(node[60:], jffs2CRC(data))
	w.bo.PutUint32(node[64:], jffs2CRC(node[:60]))
	return pos
}

func TestJFFS2Summary(t *testing.T) {
	flashNeedTools(t, "mkfs.jffs2", "sumtool")
	src := flashSourceTree(t)
	// sumtool summarises full erase blocks only: fill a few.
	rng := rand.New(rand.NewPCG(3, 4))
	noise := make([]byte, 200_000)
	for i := range noise {
		noise[i] = byte(rng.Uint32())
	}
	if err := os.WriteFile(filepath.Join(src, "noise"), noise, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chtimes(filepath.Join(src, "noise"), time.Unix(1e9, 0), time.Unix(1e9, 0)); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		flag string
		bo   binary.ByteOrder
	}{{"-l", binary.LittleEndian}, {"-b", binary.BigEndian}} {
		t.Run(tc.flag, func(t *testing.T) {
			dir := t.TempDir()
			in, out := filepath.Join(dir, "in"), filepath.Join(dir, "out")
			if err := os.WriteFile(in, mkfsJFFS2(t, src, tc.flag), 0o644); err != nil {
				t.Fatal(err)
			}
			runQuiet(t, "sumtool", "-i", in, "-o", out, "-e", "0x10000", tc.flag)
			img, err := os.ReadFile(out)
			if err != nil {
				t.Fatal(err)
			}
			summaries := 0
			for pos := 0; pos+jffs2HeaderLen <= len(img); pos += 4 {
				if _, ok := jffs2Header(img, pos, tc.bo); ok && tc.bo.Uint16(img[pos+2:]) == 0x2006 {
					summaries++
				}
			}
			if summaries == 0 {
				t.Fatal("sumtool wrote no summary node")
			}
			tr, _, err := unpackJFFS2(img, nil)
			if err != nil {
				t.Fatal(err)
			}
			flashCheckTree(t, src, tr)
		})
	}
}

func TestJFFS2Versions(t *testing.T) {
	for _, bo := range []binary.ByteOrder{binary.LittleEndian, binary.BigEndian} {
		t.Run(bo.String(), func(t *testing.T) {
			w := &jffs2Builder{bo: bo}
			w.dirent(1, 1, 2, "dir", 4)
			w.inode(2, 1, 0o40755, 0, 0, 0, 0, nil)
			w.dirent(2, 2, 3, "file", 8)
			w.inode(3, 1, 0o100644, 8, 0, jffs2ComprNone, 8, []byte("old data"))
			w.inode(3, 3, 0o104750, 8, 4, jffs2ComprNone, 4, []byte("DATA")) // newer range, newer mode
			w.dirent(1, 3, 4, "gone", 8)
			w.inode(4, 1, 0o100644, 3, 0, jffs2ComprNone, 3, []byte("bye"))
			w.dirent(1, 4, 0, "gone", 8) // deletion
			w.dirent(1, 5, 5, "renamed", 8)
			w.dirent(1, 6, 6, "renamed", 8) // the newer entry wins
			w.inode(5, 1, 0o100644, 1, 0, jffs2ComprNone, 1, []byte("5"))
			w.inode(6, 1, 0o100644, 1, 0, jffs2ComprNone, 1, []byte("6"))
			bad := w.inode(7, 1, 0o100644, 1, 0, jffs2ComprNone, 1, []byte("7"))
			w.dirent(1, 7, 7, "corrupt", 8)
			w.buf[bad+68] ^= 1 // the data CRC fails: the node is skipped, so the file has no inode
			w.inode(8, 1, 0o100644, 6000, 0, jffs2ComprZero, 6000, nil)
			w.inode(8, 2, 0o100644, 6000, 100, jffs2ComprNone, 2, []byte("hi"))
			w.dirent(1, 8, 8, "holes", 8)
			w.dirent(9, 1, 10, "orphan", 8) // directory 9 never named
			w.inode(9, 1, 0o40700, 0, 0, 0, 0, nil)
			w.inode(10, 1, 0o100600, 2, 0, jffs2ComprNone, 2, []byte("lf"))
			w.dirent(11, 1, 12, "loop", 4) // directories 11 and 12 contain each other
			w.dirent(12, 1, 11, "loop", 4)
			w.inode(11, 1, 0o40700, 0, 0, 0, 0, nil)
			w.inode(12, 1, 0o40700, 0, 0, 0, 0, nil)
			w.buf = append(w.buf, bytes.Repeat([]byte{0xff}, 1000)...)

			tr, n, err := unpackJFFS2(w.buf, nil)
			if err != nil {
				t.Fatal(err)
			}
			if n != int64(len(w.buf)) {
				t.Errorf("occupies %d bytes, want %d", n, len(w.buf))
			}
			f := tr.Entry("dir/file")
			if f == nil || string(f.Data) != "old DATA" || f.Mode != fs.ModeSetuid|0o750 || f.UID != 1000 || f.GID != 100 {
				t.Errorf("dir/file = %+v", f)
			}
			if e := tr.Entry("gone"); e != nil {
				t.Errorf("deleted entry present: %+v", e)
			}
			if e := tr.Entry("renamed"); e == nil || string(e.Data) != "6" {
				t.Errorf("renamed = %+v", e)
			}
			if e := tr.Entry("corrupt"); e != nil {
				t.Errorf("entry with a corrupt inode present: %+v", e)
			}
			if e := tr.Entry("holes"); e == nil || len(e.Data) != 6000 || string(e.Data[100:102]) != "hi" || e.Data[0] != 0 || e.Data[5999] != 0 {
				t.Errorf("holes = %+v", e)
			}
			if e := tr.Entry("lost+found/ino-9/orphan"); e == nil || string(e.Data) != "lf" {
				t.Errorf("orphan not under lost+found: %v", tr.sortedPaths())
			}
			if e := tr.Entry("lost+found/ino-11/loop"); e == nil || !e.Mode.IsDir() {
				t.Errorf("loop not under lost+found: %v", tr.sortedPaths())
			}
		})
	}
}

func TestJFFS2Compressors(t *testing.T) {
	page := []byte(strings.Repeat("abcabcabcXYZ", 300))
	// rtime: literal, then a count of bytes repeated from after the literal's last occurrence.
	rt := []byte{'a', 0, 'b', 0, 'a', 1, 'b', 3} // a, ab, ab+a+b, abab+b+abb
	var lz bytes.Buffer
	lw, err := lzma.WriterConfig{Properties: &lzma.Properties{}, DictCap: 0x2000, Size: int64(len(page))}.NewWriter(&lz)
	if err != nil {
		t.Fatal(err)
	}
	lw.Write(page)
	if err := lw.Close(); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		compr byte
		in    []byte
		size  uint32
		want  string
	}{
		{"rtime", jffs2ComprRtime, rt, 8, "ababbabb"},
		{"lzma", jffs2ComprLZMA, lz.Bytes()[lzma.HeaderLen:], uint32(len(page)), string(page)},
		{"zero", jffs2ComprZero, nil, 3, "\x00\x00\x00"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := jffs2Decompress(jffs2Node{compr: tc.compr, data: tc.in, dsize: tc.size})
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
	for _, bad := range []jffs2Node{
		{compr: jffs2ComprRtime, data: []byte{'a', 9}, dsize: 4},
		{compr: jffs2ComprRtime, data: []byte{'a'}, dsize: 4},
		{compr: jffs2ComprNone, data: []byte("ab"), dsize: 4},
		{compr: jffs2ComprZlib, data: []byte("ab"), dsize: 4},
		{compr: jffs2ComprLZO, data: []byte("ab"), dsize: 4},
		{compr: 3, data: []byte("ab"), dsize: 4},
		{compr: jffs2ComprNone, data: []byte("ab"), dsize: 1 << 30},
	} {
		if _, err := jffs2Decompress(bad); err == nil {
			t.Errorf("%+v: no error", bad)
		}
	}
}

func TestJFFS2Errors(t *testing.T) {
	flashNeedTools(t, "mkfs.jffs2")
	src := flashSourceTree(t)
	img := mkfsJFFS2(t, src, "-l")

	t.Run("not jffs2", func(t *testing.T) {
		for _, data := range [][]byte{nil, []byte("\x85\x19"), []byte("\x85\x19\x01\xe0\x00\x00\x00\x00\x00\x00\x00\x00"), []byte("squashfs-and-more")} {
			_, _, err := unpackJFFS2(data, nil)
			var fe *FormatError
			if !errors.As(err, &fe) {
				t.Errorf("%q: error %v, want a *FormatError", data, err)
			}
		}
	})
	t.Run("truncated", func(t *testing.T) {
		full, _, err := unpackJFFS2(img, nil)
		if err != nil {
			t.Fatal(err)
		}
		used := len(bytes.TrimRight(img, "\xff"))
		for _, n := range []int{used / 3, used / 2, used - 1} {
			tr, end, err := unpackJFFS2(img[:n], nil)
			if err != nil {
				t.Fatalf("%d bytes: %v", n, err)
			}
			if flashDigest(tr) == flashDigest(full) || end > int64(n) {
				t.Errorf("%d bytes: nothing lost, or ends at %d", n, end)
			}
		}
	})
	t.Run("bad data CRC", func(t *testing.T) {
		// Corrupt the data of the first node of etc/big.txt: the node is skipped, the rest reads.
		data := append([]byte{}, img...)
		i := bytes.Index(data, []byte("big.txt"))
		if i < 0 {
			t.Fatal("no dirent for big.txt")
		}
		var pos int
		found := false
		for pos = 0; pos+jffs2HeaderLen <= len(data); pos += 4 {
			n, ok := jffs2Header(data, pos, binary.LittleEndian)
			if ok && binary.LittleEndian.Uint16(data[pos+2:]) == jffs2Inode && n > jffs2InodeLen+100 {
				found = true
				break
			}
		}
		if !found {
			t.Fatal("no data node")
		}
		data[pos+jffs2InodeLen+10] ^= 0xff
		tr, _, err := unpackJFFS2(data, nil)
		if err != nil {
			t.Fatal(err)
		}
		if tr.Entry("etc/passwd") == nil || tr.Entry("usr/su") == nil {
			t.Errorf("a corrupt node lost other files: %v", tr.sortedPaths())
		}
	})
	t.Run("budget", func(t *testing.T) {
		_, _, err := unpackJFFS2(img, NewBudget(t.Context(), 1000, 0, 0))
		if !errors.Is(err, ErrLimit) {
			t.Errorf("bytes: error %v, want ErrLimit", err)
		}
		_, _, err = unpackJFFS2(img, NewBudget(t.Context(), 0, 3, 0))
		if !errors.Is(err, ErrLimit) {
			t.Errorf("files: error %v, want ErrLimit", err)
		}
	})
}

func FuzzJFFS2(f *testing.F) {
	for _, bo := range []binary.ByteOrder{binary.LittleEndian, binary.BigEndian} {
		w := &jffs2Builder{bo: bo}
		w.dirent(1, 1, 2, "d", 4)
		w.inode(2, 1, 0o40755, 0, 0, 0, 0, nil)
		w.dirent(2, 1, 3, "f", 8)
		w.inode(3, 1, 0o100644, 5, 0, jffs2ComprNone, 5, []byte("hello"))
		w.inode(3, 2, 0o100644, 9, 5, jffs2ComprRtime, 4, []byte{'a', 3})
		w.dirent(1, 2, 4, "dev", 2)
		w.inode(4, 1, 0o20644, 0, 0, jffs2ComprNone, 2, []byte{3, 1})
		w.dirent(1, 3, 5, "l", 10)
		w.inode(5, 1, 0o120777, 1, 0, jffs2ComprNone, 1, []byte("d"))
		f.Add(w.buf)
	}
	seed, err := os.ReadFile(filepath.Join("testdata", "jffs2-small.img"))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(seed)
	f.Fuzz(func(t *testing.T, data []byte) {
		tr, n, err := unpackJFFS2(data, NewBudget(t.Context(), 1<<20, 1000, 0))
		if err != nil {
			return
		}
		if n < 0 || n > int64(len(data)) || tr == nil {
			t.Fatalf("occupies %d of %d bytes", n, len(data))
		}
	})
}

func BenchmarkJFFS2(b *testing.B) {
	flashNeedTools(b, "mkfs.jffs2")
	img := mkfsJFFS2(b, benchSource(b), "-l")
	b.SetBytes(int64(len(img)))
	for b.Loop() {
		if _, _, err := unpackJFFS2(img, nil); err != nil {
			b.Fatal(err)
		}
	}
}
