package unpack

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/siegel-oss/siegel/internal/testtool"
)

// runQuiet runs a fixture tool and fails the test, with its output, when it fails.
func runQuiet(t testing.TB, name string, args ...string) {
	t.Helper()
	if out, err := exec.Command(name, args...).CombinedOutput(); err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
}

func runTool(t testing.TB, dir string, stdin []byte, name string, args ...string) []byte {
	t.Helper()
	cmd := exec.Command(testtool.Path(t, name), args...)
	cmd.Dir = dir
	if stdin != nil {
		cmd.Stdin = bytes.NewReader(stdin)
	}
	var out, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, stderr.String())
	}
	return out.Bytes()
}

// imgFixture is a small root file system with every kind of metadata the unpackers must keep.
type imgFixture struct {
	dir   string
	files map[string]Entry // expected entries by path (Data for files, Link for links)
	mtime time.Time
}

func newImgFixture(t *testing.T) *imgFixture {
	t.Helper()
	dir := t.TempDir()
	f := &imgFixture{dir: dir, files: map[string]Entry{}, mtime: time.Date(2024, 3, 1, 12, 0, 0, 0, time.UTC)}
	root := os.Geteuid() == 0
	add := func(p string, mode fs.FileMode, data []byte, link string, uid, gid int) {
		full := filepath.Join(dir, p)
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		switch {
		case mode&fs.ModeSymlink != 0:
			if err := os.Symlink(link, full); err != nil {
				t.Fatal(err)
			}
		case mode.IsDir():
			if err := os.Mkdir(full, 0o755); err != nil && !os.IsExist(err) {
				t.Fatal(err)
			}
		default:
			if err := os.WriteFile(full, data, 0o600); err != nil {
				t.Fatal(err)
			}
		}
		// Owner first: chown clears the setuid and setgid bits.
		if !root {
			uid, gid = os.Geteuid(), os.Getegid()
		} else if err := os.Lchown(full, uid, gid); err != nil {
			t.Fatal(err)
		}
		if mode&fs.ModeSymlink == 0 {
			// os.Chmod maps fs.ModeSetuid etc. to the Unix bits.
			if err := os.Chmod(full, mode&(fs.ModePerm|fs.ModeSetuid|fs.ModeSetgid|fs.ModeSticky)); err != nil {
				t.Fatal(err)
			}
		}
		f.files[p] = Entry{Path: p, Mode: mode, Data: data, Link: link, UID: uint32(uid), GID: uint32(gid)}
	}
	add("etc", fs.ModeDir|0o755, nil, "", 0, 0)
	add("etc/passwd", 0o644, []byte("root:x:0:0:root:/root:/bin/sh\n"), "", 0, 0)
	add("etc/shadow", 0o600, []byte("root::19000:0:99999:7:::\n"), "", 0, 0)
	add("bin", fs.ModeDir|0o755, nil, "", 0, 0)
	add("bin/busybox", fs.ModeSetuid|0o755, bytes.Repeat([]byte("BusyBox v1.36.1 (2024-01-01) multi-call binary\x00"), 300), "", 0, 0)
	add("bin/sh", fs.ModeSymlink|0o777, nil, "busybox", 0, 0)
	add("bin/setgid-tool", fs.ModeSetgid|0o2755&0o777, []byte("#!/bin/sh\necho hi\n"), "", 0, 100)
	add("tmp", fs.ModeDir|fs.ModeSticky|0o777, nil, "", 0, 0)
	add("home", fs.ModeDir|0o755, nil, "", 0, 0)
	add("home/user", fs.ModeDir|0o700, nil, "", 1000, 100)
	add("home/user/empty", 0o640, []byte{}, "", 1000, 100)
	add("home/user/big", 0o644, bytes.Repeat([]byte("0123456789abcdef"), 20000), "", 1000, 100)
	// Times last: adding an entry changes its directory's.
	for p, e := range f.files {
		if e.Mode&fs.ModeSymlink == 0 {
			if err := os.Chtimes(filepath.Join(dir, p), f.mtime, f.mtime); err != nil {
				t.Fatal(err)
			}
		}
	}
	return f
}

// check compares the entries under prefix of tree with the fixture, metadata included.
func (f *imgFixture) check(t *testing.T, tree *Tree, prefix string, checkTimes bool) {
	t.Helper()
	for p, want := range f.files {
		got := tree.Entry(strings.TrimPrefix(prefix+"/"+p, "/"))
		if got == nil {
			t.Errorf("%s: missing", p)
			continue
		}
		if got.Mode.Type() != want.Mode.Type() {
			t.Errorf("%s: type %v, want %v", p, got.Mode.Type(), want.Mode.Type())
		}
		if want.Mode&fs.ModeSymlink == 0 && got.Mode&(fs.ModePerm|fs.ModeSetuid|fs.ModeSetgid|fs.ModeSticky) != want.Mode&(fs.ModePerm|fs.ModeSetuid|fs.ModeSetgid|fs.ModeSticky) {
			t.Errorf("%s: mode %v, want %v", p, got.Mode, want.Mode)
		}
		if got.UID != want.UID || got.GID != want.GID {
			t.Errorf("%s: owner %d:%d, want %d:%d", p, got.UID, got.GID, want.UID, want.GID)
		}
		if !bytes.Equal(got.Data, want.Data) {
			t.Errorf("%s: %d bytes differ from the %d written", p, len(got.Data), len(want.Data))
		}
		if got.Link != want.Link {
			t.Errorf("%s: link %q, want %q", p, got.Link, want.Link)
		}
		if checkTimes && want.Mode&fs.ModeSymlink == 0 && !got.ModTime.Equal(f.mtime) {
			t.Errorf("%s: mtime %v, want %v", p, got.ModTime, f.mtime)
		}
	}
}

func (f *imgFixture) paths() []byte {
	var b bytes.Buffer
	for p := range f.files {
		b.WriteString(p + "\n")
	}
	return b.Bytes()
}

func mustImage(t *testing.T, data []byte) *Result {
	t.Helper()
	r, err := Image("fixture", data, NewBudget(context.Background(), 1<<30, 0, 0))
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestCpioRoundTrip(t *testing.T) {
	for _, format := range []string{"newc", "crc", "odc"} {
		t.Run(format, func(t *testing.T) {
			f := newImgFixture(t)
			img := runTool(t, f.dir, f.paths(), "cpio", "--quiet", "-o", "-H", format)
			r := mustImage(t, img)
			if len(r.Layers) != 1 || r.Layers[0].Format != "cpio" || r.Layers[0].Size == 0 {
				t.Fatalf("layers %+v, problems %+v", r.Layers, r.Problems)
			}
			f.check(t, r.Tree, "0.cpio", true)
		})
	}
}

func TestTarRoundTrip(t *testing.T) {
	f := newImgFixture(t)
	img := runTool(t, f.dir, nil, "tar", "--format=gnu", "-cf", "-", "etc", "bin", "tmp", "home")
	r := mustImage(t, img)
	f.check(t, r.Tree, "0.tar", true)
}

func TestCompressedStreams(t *testing.T) {
	f := newImgFixture(t)
	tarball := runTool(t, f.dir, nil, "tar", "--format=gnu", "-cf", "-", "etc", "bin", "tmp", "home")
	for _, c := range []struct {
		tool   string
		args   []string
		format string
	}{
		{"gzip", []string{"-c"}, "gzip"},
		{"xz", []string{"-c"}, "xz"},
		{"xz", []string{"-c", "--format=lzma"}, "lzma"},
		{"bzip2", []string{"-c"}, "bzip2"},
		{"zstd", []string{"-c", "-q"}, "zstd"},
		{"lz4", []string{"-c", "-q"}, "lz4"},
	} {
		t.Run(c.format, func(t *testing.T) {
			// A stream carved out of the middle of a blob, as in a firmware image.
			blob := append(bytes.Repeat([]byte{0xff}, 1000), runTool(t, "", tarball, c.tool, c.args...)...)
			blob = append(blob, bytes.Repeat([]byte{0xff}, 1000)...)
			r := mustImage(t, blob)
			var layer string
			for _, l := range r.Layers {
				if l.Format == c.format && l.Offset == 1000 {
					layer = l.Path
				}
			}
			if layer == "" {
				t.Fatalf("no %s layer at 1000: %+v %+v", c.format, r.Layers, r.Problems)
			}
			f.check(t, r.Tree, layer+"/data.extracted/0.tar", true)
		})
	}
}

func TestUImage(t *testing.T) {
	dir := t.TempDir()
	kernel := bytes.Repeat([]byte("Linux version 5.15.150 (builder@buildhost) #0 SMP\x00"), 2000)
	if err := os.WriteFile(filepath.Join(dir, "kernel"), kernel, 0o644); err != nil {
		t.Fatal(err)
	}
	lz := runTool(t, dir, kernel, "xz", "-c", "--format=lzma")
	if err := os.WriteFile(filepath.Join(dir, "kernel.lzma"), lz, 0o644); err != nil {
		t.Fatal(err)
	}
	runTool(t, dir, nil, "mkimage", "-q", "-A", "mips", "-O", "linux", "-T", "kernel", "-C", "lzma",
		"-a", "0x80060000", "-e", "0x80060000", "-n", "MIPS OpenWrt Linux-5.15.150", "-d", "kernel.lzma", "uImage")
	img, err := os.ReadFile(filepath.Join(dir, "uImage"))
	if err != nil {
		t.Fatal(err)
	}
	r := mustImage(t, img)
	e := r.Tree.Entry("0.uimage/MIPS OpenWrt Linux-5.15.150")
	if e == nil || !bytes.Equal(e.Data, kernel) {
		t.Fatalf("kernel not unpacked: layers %+v problems %+v", r.Layers, r.Problems)
	}
	// A corrupted data checksum is reported, not unpacked.
	img[100] ^= 0xff
	r = mustImage(t, img)
	if len(r.Problems) == 0 || !strings.Contains(r.Problems[0].Error, "data checksum") {
		t.Fatalf("corrupt uImage: problems %+v", r.Problems)
	}

	// Multi-file images hold several payloads.
	runTool(t, dir, nil, "mkimage", "-q", "-A", "arm", "-O", "linux", "-T", "multi", "-C", "none",
		"-n", "multi", "-d", "kernel:kernel.lzma", "multi.img")
	img, _ = os.ReadFile(filepath.Join(dir, "multi.img"))
	r = mustImage(t, img)
	if e := r.Tree.Entry("0.uimage/multi.0"); e == nil || !bytes.Equal(e.Data, kernel) {
		t.Errorf("multi-file part 0 missing or wrong: %+v", r.Layers)
	}
	if e := r.Tree.Entry("0.uimage/multi.1"); e == nil || !bytes.Equal(e.Data, lz) {
		t.Errorf("multi-file part 1 missing or wrong")
	}
}

func TestFIT(t *testing.T) {
	testtool.Path(t, "dtc")
	dir := t.TempDir()
	kernel := bytes.Repeat([]byte("Linux version 6.1.0 kernel image bytes\x00"), 500)
	ramdisk := bytes.Repeat([]byte("ramdisk\x00"), 300)
	os.WriteFile(filepath.Join(dir, "kernel.gz"), runTool(t, dir, kernel, "gzip", "-c", "-n"), 0o644)
	os.WriteFile(filepath.Join(dir, "initrd"), ramdisk, 0o644)
	its := `/dts-v1/;
/ {
	description = "test FIT";
	#address-cells = <1>;
	images {
		kernel-1 {
			data = /incbin/("kernel.gz");
			type = "kernel"; arch = "arm64"; os = "linux"; compression = "gzip";
			load = <0x80000>; entry = <0x80000>;
		};
		ramdisk-1 {
			data = /incbin/("initrd");
			type = "ramdisk"; arch = "arm64"; os = "linux"; compression = "none";
		};
	};
	configurations {
		default = "conf-1";
		conf-1 { kernel = "kernel-1"; ramdisk = "ramdisk-1"; };
	};
};
`
	os.WriteFile(filepath.Join(dir, "image.its"), []byte(its), 0o644)
	for _, external := range []bool{false, true} {
		args := []string{"-q", "-f", "image.its", "image.itb"}
		if external {
			args = append([]string{"-E"}, args...)
		}
		runTool(t, dir, nil, "mkimage", args...)
		img, err := os.ReadFile(filepath.Join(dir, "image.itb"))
		if err != nil {
			t.Fatal(err)
		}
		r := mustImage(t, img)
		if e := r.Tree.Entry("0.fit/kernel-1"); e == nil || !bytes.Equal(e.Data, kernel) {
			t.Errorf("external=%v: kernel missing or not decompressed: %+v %+v", external, r.Layers, r.Problems)
		}
		if e := r.Tree.Entry("0.fit/ramdisk-1"); e == nil || !bytes.Equal(e.Data, ramdisk) {
			t.Errorf("external=%v: ramdisk missing or wrong", external)
		}
		if external && r.Layers[0].Size != int64(len(img)) {
			t.Errorf("size %d, want %d", r.Layers[0].Size, len(img))
		}
	}
}

// makeTRX builds a TRX v1 image (the layout Broadcom's trx tool writes) around its partitions.
func makeTRX(parts ...[]byte) []byte {
	hdr := 28
	total := hdr
	var offs [3]uint32
	for i, p := range parts {
		offs[i] = uint32(total)
		total += len(p)
	}
	out := make([]byte, hdr, total)
	copy(out, "HDR0")
	binary.LittleEndian.PutUint32(out[4:], uint32(total))
	binary.LittleEndian.PutUint32(out[12:], 1<<16)
	for i, o := range offs {
		binary.LittleEndian.PutUint32(out[16+4*i:], o)
	}
	for _, p := range parts {
		out = append(out, p...)
	}
	binary.LittleEndian.PutUint32(out[8:], ^crc32.ChecksumIEEE(out[12:]))
	return out
}

func TestTRX(t *testing.T) {
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write(bytes.Repeat([]byte("kernel "), 1000))
	zw.Close()
	img := makeTRX(gz.Bytes(), []byte(strings.Repeat("rootfs", 100)))
	r := mustImage(t, img)
	if e := r.Tree.Entry("0.trx/part1"); e == nil || string(e.Data) != strings.Repeat("rootfs", 100) {
		t.Fatalf("partition 1: %+v %+v", r.Layers, r.Problems)
	}
	if e := r.Tree.Entry("0.trx/part0.extracted/0.gzip/data"); e == nil || len(e.Data) != 7000 {
		t.Fatalf("kernel stream in partition 0 not unpacked: %+v", r.Layers)
	}
	img[40] ^= 1
	r = mustImage(t, img)
	if len(r.Problems) != 1 || r.Problems[0].Format != "trx" || !strings.Contains(r.Problems[0].Error, "checksum") {
		t.Fatalf("corrupt TRX: %+v", r.Problems)
	}
}

func TestTraversalRefused(t *testing.T) {
	var buf bytes.Buffer
	for _, name := range []string{"../../etc/evil", "ok/../../evil"} {
		buf.Reset()
		hdr := cpioNewc(name, 0o100644, []byte("x"))
		buf.Write(hdr)
		buf.Write(cpioNewc("TRAILER!!!", 0, nil))
		r := mustImage(t, buf.Bytes())
		if len(r.Layers) != 0 || len(r.Problems) != 1 || !strings.Contains(r.Problems[0].Error, "leaves the root") {
			t.Errorf("%s: layers %+v problems %+v", name, r.Layers, r.Problems)
		}
		for _, e := range r.Tree.Entries() {
			if strings.Contains(e.Path, "..") {
				t.Errorf("entry %q escaped", e.Path)
			}
		}
	}
	// Absolute names are taken as relative to the image's root.
	buf.Reset()
	buf.Write(cpioNewc("/etc/passwd", 0o100644, []byte("root::0:0::/:/bin/sh\n")))
	buf.Write(cpioNewc("etc/link", 0o120777, []byte("../../../../../etc/shadow")))
	buf.Write(cpioNewc("TRAILER!!!", 0, nil))
	r := mustImage(t, buf.Bytes())
	if r.Tree.Entry("0.cpio/etc/passwd") == nil {
		t.Fatalf("absolute name not rooted: %+v", r.Tree.Entries())
	}
	// A link climbing out resolves inside the tree (to the tree's own root), never outside.
	if e := r.Tree.Resolve("0.cpio/etc/link"); e != nil {
		t.Errorf("escaping link resolved to %q", e.Path)
	}
}

func cpioNewc(name string, mode uint32, data []byte) []byte {
	var b bytes.Buffer
	hex := func(v int) { fmt.Fprintf(&b, "%08X", v) }
	b.WriteString("070701")
	for _, v := range []int{1, int(mode), 0, 0, 1, 0, len(data), 0, 0, 0, 0, len(name) + 1, 0} {
		hex(v)
	}
	b.WriteString(name + "\x00")
	for b.Len()%4 != 0 {
		b.WriteByte(0)
	}
	b.Write(data)
	for b.Len()%4 != 0 {
		b.WriteByte(0)
	}
	return b.Bytes()
}

func TestBombsAndNesting(t *testing.T) {
	// 200 MB of zeros compress to about 200 KB; the budget stops it at 16 MB.
	var gz bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&gz, gzip.BestCompression)
	chunk := make([]byte, 1<<20)
	for range 200 {
		zw.Write(chunk)
	}
	zw.Close()
	_, err := Image("bomb", gz.Bytes(), NewBudget(context.Background(), 16<<20, 0, 0))
	if !errors.Is(err, ErrLimit) {
		t.Fatalf("bomb: %v", err)
	}
	// Streams nested deeper than the limit stop with an error naming the limit.
	data := bytes.Repeat([]byte("payload "), 20)
	for range 12 {
		var b bytes.Buffer
		zw := gzip.NewWriter(&b)
		zw.Write(data)
		zw.Close()
		data = b.Bytes()
	}
	_, err = Image("nested", data, NewBudget(context.Background(), 0, 0, 8))
	if !errors.Is(err, ErrLimit) || !strings.Contains(err.Error(), "nested deeper than 8") {
		t.Fatalf("nesting: %v", err)
	}
	if _, err := Image("nested", data, NewBudget(context.Background(), 0, 0, 16)); err != nil {
		t.Fatalf("12 levels within a limit of 16: %v", err)
	}
	// A time limit stops the work.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Image("late", data, NewBudget(ctx, 0, 0, 16)); !errors.Is(err, ErrLimit) {
		t.Fatalf("cancelled: %v", err)
	}
}

func TestTreeFS(t *testing.T) {
	f := newImgFixture(t)
	img := runTool(t, f.dir, f.paths(), "cpio", "--quiet", "-o", "-H", "newc")
	r := mustImage(t, img)
	fsys := r.Tree.FS()
	data, err := fs.ReadFile(fsys, "0.cpio/etc/passwd")
	if err != nil || string(data) != "root:x:0:0:root:/root:/bin/sh\n" {
		t.Fatalf("ReadFile: %q %v", data, err)
	}
	// Opening a link opens its target; Stat reports the link itself.
	if data, err := fs.ReadFile(fsys, "0.cpio/bin/sh"); err != nil || !bytes.HasPrefix(data, []byte("BusyBox")) {
		t.Errorf("link not followed: %v", err)
	}
	if fi, err := fs.Stat(fsys, "0.cpio/bin/sh"); err != nil || fi.Mode()&fs.ModeSymlink == 0 {
		t.Errorf("Stat of link: %v %v", fi, err)
	}
	var n int
	if err := fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		n++
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if n != r.Tree.Len()+1 {
		t.Errorf("walked %d entries, tree has %d (+ root)", n, r.Tree.Len())
	}
}

func FuzzImage(f *testing.F) {
	f.Add(makeTRX([]byte("\x1f\x8b\x08\x00\x00\x00\x00\x00"), []byte("hsqs")))
	f.Add(append(cpioNewc("a", 0o100644, []byte("x")), cpioNewc("TRAILER!!!", 0, nil)...))
	f.Add([]byte("\x27\x05\x19\x56" + strings.Repeat("\x00", 60)))
	f.Add([]byte("\xd0\x0d\xfe\xed\x00\x00\x00\x48\x00\x00\x00\x38\x00\x00\x00\x48" + strings.Repeat("\x00", 60)))
	f.Add([]byte("\x5d\x00\x00\x80\x00\xff\xff\xff\xff\xff\xff\xff\xff\x00\x00"))
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := Image("fuzz", data, NewBudget(context.Background(), 64<<20, 10_000, 4))
		if err != nil && !errors.Is(err, ErrLimit) {
			t.Fatalf("non-limit error: %v", err)
		}
		for _, e := range r.Tree.Entries() {
			if strings.HasPrefix(e.Path, "/") || strings.Contains("/"+e.Path+"/", "/../") {
				t.Fatalf("entry %q escapes", e.Path)
			}
		}
	})
}

// Device numbers keep Linux's new_encode_dev layout, so minors above 255 survive.
func TestMakeDev(t *testing.T) {
	for _, c := range []struct{ major, minor, dev uint64 }{
		{1, 3, 0x103},                // /dev/null, the same in the old encoding
		{4, 64, 0x440},               // /dev/ttyS0
		{259, 1, 0x10301},            // an NVMe partition: major above 255
		{8, 300, 0x10082c},           // a minor above 255: its high bits go above the major
		{0xfff, 0xfffff, 0xffffffff}, // the largest: 12-bit major, 20-bit minor
	} {
		e := Entry{Dev: MakeDev(c.major, c.minor)}
		if e.Dev != c.dev || e.Major() != c.major || e.Minor() != c.minor {
			t.Errorf("MakeDev(%d, %d) = %#x (%d, %d), want %#x", c.major, c.minor, e.Dev, e.Major(), e.Minor(), c.dev)
		}
	}
}
