package unpack

import (
	"bytes"
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// capNetRaw is a vfs_cap_data (revision 2) granting CAP_NET_RAW, permitted and effective: what
// `setcap cap_net_raw+ep` writes.
func capNetRaw() string {
	b := make([]byte, 20)
	binary.LittleEndian.PutUint32(b, 0x02000000|1) // revision 2, effective
	binary.LittleEndian.PutUint32(b[4:], 1<<13)    // permitted: CAP_NET_RAW
	return string(b)
}

// xattrTree writes files with extended attributes: a capability, user attributes on files and a
// directory, and one long value shared by two files, which mksquashfs stores once, out of line.
func xattrTree(t *testing.T) (string, map[string]map[string]string) {
	dir := t.TempDir()
	shared := string(bytes.Repeat([]byte("shared value "), 30))
	want := map[string]map[string]string{
		"bin/ping":   {"security.capability": capNetRaw()},
		"etc/a.conf": {"user.big": shared, "user.note": "a"},
		"etc/b.conf": {"user.big": shared},
		"etc":        {"user.dir": "configuration"},
		"plain":      nil,
	}
	for _, d := range []string{"bin", "etc"} {
		if err := os.Mkdir(filepath.Join(dir, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for _, f := range []string{"bin/ping", "etc/a.conf", "etc/b.conf", "plain"} {
		if err := os.WriteFile(filepath.Join(dir, f), []byte(f), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for p, attrs := range want {
		for name, value := range attrs {
			err := syscall.Setxattr(filepath.Join(dir, p), name, []byte(value), 0)
			if errors.Is(err, syscall.ENOTSUP) || errors.Is(err, syscall.EPERM) {
				t.Skipf("cannot set %s here (file system or privileges): %v", name, err)
			}
			if err != nil {
				t.Fatal(err)
			}
		}
	}
	return dir, want
}

// checkXattrs compares every entry's attributes with want, entry by entry.
func checkXattrs(t *testing.T, tree *Tree, want map[string]map[string]string) {
	t.Helper()
	for p, attrs := range want {
		e := tree.Entry(p)
		if e == nil {
			t.Fatalf("%s missing", p)
		}
		if len(e.Xattrs) != len(attrs) {
			t.Errorf("%s: %d attributes %q, want %d", p, len(e.Xattrs), e.Xattrs, len(attrs))
		}
		for name, value := range attrs {
			if e.Xattrs[name] != value {
				t.Errorf("%s %s = %q, want %q", p, name, e.Xattrs[name], value)
			}
		}
	}
}

func TestSquashfsXattrs(t *testing.T) {
	dir, want := xattrTree(t)
	for _, comp := range []string{"gzip", "xz"} {
		t.Run(comp, func(t *testing.T) {
			img := mksquashfs(t, dir, "", "-comp", comp, "-xattrs")
			tree, _, err := unpackSquashfs(img, NewBudget(t.Context(), 0, 0, 0))
			if err != nil {
				t.Fatal(err)
			}
			checkXattrs(t, tree, want)
		})
	}
	// With -no-xattrs the image keeps none, and has no xattr table.
	img := mksquashfs(t, dir, "", "-no-xattrs")
	tree, _, err := unpackSquashfs(img, NewBudget(t.Context(), 0, 0, 0))
	if err != nil {
		t.Fatal(err)
	}
	if e := tree.Entry("bin/ping"); e.Xattrs != nil {
		t.Errorf("-no-xattrs image: bin/ping has %q", e.Xattrs)
	}
	if binary.LittleEndian.Uint64(img[56:]) != sqNoTable {
		t.Error("-no-xattrs image has an xattr table")
	}
}

func TestSquashfsXattrErrors(t *testing.T) {
	dir, _ := xattrTree(t)
	img := mksquashfs(t, dir, "", "-comp", "gzip", "-xattrs")
	xattrStart := int64(binary.LittleEndian.Uint64(img[56:]))
	for name, corrupt := range map[string]func([]byte){
		"table gone":          func(b []byte) { binary.LittleEndian.PutUint64(b[56:], sqNoTable) },
		"table past the end":  func(b []byte) { binary.LittleEndian.PutUint64(b[56:], uint64(len(b))) },
		"metadata after it":   func(b []byte) { binary.LittleEndian.PutUint64(b[xattrStart:], uint64(xattrStart)+8) },
		"no ids":              func(b []byte) { binary.LittleEndian.PutUint32(b[xattrStart+8:], 0) },
		"id block far away":   func(b []byte) { binary.LittleEndian.PutUint64(b[xattrStart+16:], uint64(len(b))) },
		"metadata start zero": func(b []byte) { binary.LittleEndian.PutUint64(b[xattrStart:], 0) },
	} {
		t.Run(name, func(t *testing.T) {
			b := bytes.Clone(img)
			corrupt(b)
			_, _, err := unpackSquashfs(b, NewBudget(t.Context(), 0, 0, 0))
			var fe *FormatError
			if !errors.As(err, &fe) {
				t.Fatalf("got %v, want a format error", err)
			}
		})
	}
}

// TestTarXattrs reads the extended attributes GNU tar keeps as PAX records.
func TestTarXattrs(t *testing.T) {
	dir, want := xattrTree(t)
	img := runTool(t, dir, nil, "tar", "--format=posix", "--xattrs", "--xattrs-include=*", "-cf", "-", ".")
	tree, _, err := unpackTar(img, NewBudget(t.Context(), 0, 0, 0))
	if err != nil {
		t.Fatal(err)
	}
	checkXattrs(t, tree, want)
}

// TestExtXattrs reads the extended attributes mke2fs -d copies from the source tree: small ones
// stay in the inode, the long shared value goes to an attribute block.
func TestExtXattrs(t *testing.T) {
	dir, want := xattrTree(t)
	for _, fsType := range []string{"ext2", "ext4"} {
		t.Run(fsType, func(t *testing.T) {
			img := extImage(t, dir, []string{"-t", fsType, "-I", "256"}, 4<<20)
			tree, _, err := unpackExt(img, NewBudget(t.Context(), 0, 0, 0))
			if err != nil {
				t.Fatal(err)
			}
			checkXattrs(t, tree, want)
		})
	}
}
