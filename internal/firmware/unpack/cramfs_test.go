package unpack

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/siegel-oss/siegel/internal/testtool"

	"github.com/google/go-cmp/cmp"
)

// cramfsImage builds an image of src with mkfs.cramfs in the given byte order.
func cramfsImage(tb testing.TB, src, endian string, args ...string) []byte {
	tb.Helper()
	mkfs := testtool.Path(tb, "mkfs.cramfs")
	img := filepath.Join(tb.TempDir(), "img")
	runQuiet(tb, mkfs, append(append([]string{"-N", endian}, args...), src, img)...)
	data, err := os.ReadFile(img)
	if err != nil {
		tb.Fatal(err)
	}
	return data
}

// TestCramfs builds its images once (mkfs.cramfs takes seconds) for both round trips and errors.
func TestCramfs(t *testing.T) {
	src := t.TempDir()
	extfixTree(t, src)
	cases := []struct {
		name   string
		endian string
		args   []string
		img    []byte
	}{
		{name: "little", endian: "little"},
		{name: "big", endian: "big"},
		{name: "little-holes", endian: "little", args: []string{"-z"}},
		{name: "big-holes", endian: "big", args: []string{"-z"}},
	}
	t.Run("build", func(t *testing.T) {
		for i := range cases {
			t.Run(cases[i].name, func(t *testing.T) {
				t.Parallel()
				cases[i].img = cramfsImage(t, src, cases[i].endian, cases[i].args...)
			})
		}
	})
	for _, tc := range cases {
		if tc.img == nil {
			t.FailNow()
		}
		t.Run(tc.name, func(t *testing.T) {
			tr, n, err := unpackCramfs(tc.img, NewBudget(t.Context(), 0, 0, 0))
			if err != nil {
				t.Fatal(err)
			}
			if n != int64(len(tc.img)) {
				t.Errorf("size %d, want %d", n, len(tc.img))
			}
			want := extfixExpect(t, src, func(p string, w *extfixWant) {
				// CramFS keeps 16 bits of the owner, 8 of the group, 24 of a device number, and
				// no times.
				w.UID &= 0xffff
				w.GID &= 0xff
				w.Dev &= 0xffffff
				w.ModTime = time.Unix(0, 0).UTC()
			})
			got := extfixGot(tr, func(string) bool { return false })
			if d := cmp.Diff(want, got); d != "" {
				t.Errorf("entries (-want +got):\n%s", d)
			}
		})
	}
	t.Run("errors", func(t *testing.T) { cramfsErrors(t, cases[0].img, cases[1].img) })
}

// cramfsLookup finds the inode at p, a path below the root.
func cramfsLookup(tb testing.TB, img []byte, p string) *cramfsInode {
	tb.Helper()
	c := &cramfs{data: img, order: binary.LittleEndian}
	if binary.BigEndian.Uint32(img) == cramfsMagic {
		c.order = binary.BigEndian
	}
	in, err := c.inode(cramfsSuperSize, false)
	if err != nil {
		tb.Fatal(err)
	}
next:
	for _, part := range strings.Split(p, "/") {
		for off := int64(in.offset); off < int64(in.offset)+int64(in.size); {
			child, err := c.inode(off, true)
			if err != nil {
				tb.Fatal(err)
			}
			if child.name == part {
				in = child
				continue next
			}
			off = child.next
		}
		tb.Fatalf("%s: not found", p)
	}
	return in
}

func cramfsErrors(t *testing.T, le, be []byte) {
	patch := func(img []byte, f func(b []byte)) []byte {
		img = bytes.Clone(img)
		f(img)
		return img
	}
	tests := []struct {
		name  string
		img   []byte
		rule  string
		limit int64
	}{
		{name: "truncated", img: le[:len(le)/2], rule: "superblock"},
		{name: "truncated big-endian", img: be[:len(be)/2], rule: "superblock"},
		{name: "short", img: le[:70], rule: "superblock"},
		{name: "signature", img: patch(le, func(b []byte) { b[20] = 'x' }), rule: "superblock"},
		{name: "unknown flag", img: patch(le, func(b []byte) { b[11] = 0x10 }), rule: "superblock"},
		{name: "block pointer", img: patch(le, func(b []byte) {
			in := cramfsLookup(t, b, "dir/big.bin")
			binary.LittleEndian.PutUint32(b[in.offset:], 0x3fffffff)
		}), rule: "block pointers"},
		{name: "block pointer big-endian", img: patch(be, func(b []byte) {
			in := cramfsLookup(t, b, "dir/big.bin")
			binary.BigEndian.PutUint32(b[in.offset+4:], 0x10)
		}), rule: "block pointers"},
		{name: "zlib", img: patch(le, func(b []byte) {
			in := cramfsLookup(t, b, "dir/big.bin")
			start := in.offset + 4*((in.size+cramfsPage-1)/cramfsPage)
			for i := start + 2; i < start+40; i++ {
				b[i] ^= 0x55
			}
		}), rule: "zlib block"},
		{name: "directory loop", img: patch(le, func(b []byte) {
			// Give a/b the entries of a, its parent.
			a, ab := cramfsLookup(t, b, "a"), cramfsLookup(t, b, "a/b")
			w := binary.LittleEndian.Uint32(b[ab.at+8:])
			binary.LittleEndian.PutUint32(b[ab.at+8:], w&0x3f|a.offset/4<<6)
			w = binary.LittleEndian.Uint32(b[ab.at+4:])
			binary.LittleEndian.PutUint32(b[ab.at+4:], w&0xff000000|a.size)
		}), rule: "directory loop"},
		{name: "budget", img: le, limit: 100_000},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := unpackCramfs(tc.img, NewBudget(t.Context(), tc.limit, 0, 0))
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
			if fe.Rule != tc.rule || fe.Format != "cramfs" {
				t.Errorf("err = %v, want rule %q", err, tc.rule)
			}
		})
	}
}

// TestCramfsSeeds checks the committed fuzz seeds, made by mkfs.cramfs -N little|big from a tree
// holding d/hello ("hello\n"), d/five (5000 x) and link -> d/hello.
func TestCramfsSeeds(t *testing.T) {
	for _, name := range []string{"testdata/cramfs-le-small.img.gz", "testdata/cramfs-be-small.img.gz"} {
		tr, _, err := unpackCramfs(extfixSeed(t, name), nil)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if e := tr.Entry("d/hello"); e == nil || string(e.Data) != "hello\n" {
			t.Errorf("%s: d/hello = %+v", name, e)
		}
		if e := tr.Entry("d/five"); e == nil || string(e.Data) != strings.Repeat("x", 5000) {
			t.Errorf("%s: d/five = %+v", name, e)
		}
		if e := tr.Entry("link"); e == nil || e.Link != "d/hello" {
			t.Errorf("%s: link = %+v", name, e)
		}
	}
}

// FuzzCramfs takes images coded by extfixCompact, which shrinks the zero padding.
func FuzzCramfs(f *testing.F) {
	f.Add(extfixCompact(extfixSeed(f, "testdata/cramfs-le-small.img.gz")))
	f.Add(extfixCompact(extfixSeed(f, "testdata/cramfs-be-small.img.gz")))
	f.Fuzz(func(t *testing.T, data []byte) {
		data = extfixExpand(data)
		tr, n, err := unpackCramfs(data, NewBudget(context.Background(), 1<<20, 10_000, 0))
		if err != nil {
			var fe *FormatError
			if !errors.As(err, &fe) && !errors.Is(err, ErrLimit) {
				t.Fatalf("error of type %T: %v", err, err)
			}
			return
		}
		if n < 0 || n > int64(len(data)) {
			t.Fatalf("size %d of %d bytes", n, len(data))
		}
		for _, e := range tr.Entries() {
			if e.Mode.IsRegular() && e.Size() > 1<<24 {
				t.Fatalf("%s: %d bytes, more than CramFS can hold", e.Path, e.Size())
			}
		}
	})
}
