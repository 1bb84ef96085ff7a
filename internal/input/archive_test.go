package input

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/gzip"
	"io/fs"
	"strings"
	"testing"
	"testing/fstest"
)

func tarOf(t testing.TB, gz bool, files map[string]string, extra ...*tar.Header) []byte {
	var buf bytes.Buffer
	var w *tar.Writer
	var zw *gzip.Writer
	if gz {
		zw = gzip.NewWriter(&buf)
		w = tar.NewWriter(zw)
	} else {
		w = tar.NewWriter(&buf)
	}
	for name, body := range files {
		w.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: int64(len(body)), Typeflag: tar.TypeReg})
		w.Write([]byte(body))
	}
	for _, h := range extra {
		w.WriteHeader(h)
	}
	w.Close()
	if zw != nil {
		zw.Close()
	}
	return buf.Bytes()
}

func zipOf(t testing.TB, files map[string]string) []byte {
	var buf bytes.Buffer
	w := zip.NewWriter(&buf)
	for name, body := range files {
		f, _ := w.Create(name)
		f.Write([]byte(body))
	}
	w.Close()
	return buf.Bytes()
}

func TestOpenArchive(t *testing.T) {
	files := map[string]string{"app/go.mod": "module x\n", "app/web/package-lock.json": "{}", "README": "hi"}
	link := &tar.Header{Name: "app/evil", Linkname: "/etc/passwd", Typeflag: tar.TypeSymlink}
	for name, data := range map[string][]byte{
		"tar":    tarOf(t, false, files, link),
		"tar.gz": tarOf(t, true, files, link),
		"zip":    zipOf(t, files),
	} {
		t.Run(name, func(t *testing.T) {
			if !IsArchive(data) {
				t.Fatal("not recognised as an archive")
			}
			fsys, err := OpenArchive("src."+name, data, ArchiveLimits{})
			if err != nil {
				t.Fatal(err)
			}
			if err := fstest.TestFS(fsys, "app/go.mod", "app/web/package-lock.json", "README"); err != nil {
				t.Fatal(err)
			}
			if _, err := fs.Stat(fsys, "app/evil"); err == nil {
				t.Error("a symbolic link was unpacked")
			}
			b, _ := fs.ReadFile(fsys, "app/go.mod")
			if string(b) != "module x\n" {
				t.Errorf("content %q", b)
			}
		})
	}
}

func TestOpenArchiveRefuses(t *testing.T) {
	for name, tc := range map[string]struct {
		data []byte
		lim  ArchiveLimits
		want string
	}{
		"dot-dot tar":  {tarOf(t, false, map[string]string{"../../etc/cron.d/x": "boom"}), ArchiveLimits{}, "leaves the archive's root"},
		"absolute tar": {tarOf(t, false, map[string]string{"/etc/passwd": "root"}), ArchiveLimits{}, "leaves the archive's root"},
		"dot-dot zip":  {zipOf(t, map[string]string{"a/../../x": "boom"}), ArchiveLimits{}, "../../x"},
		"too big":      {tarOf(t, true, map[string]string{"a": strings.Repeat("x", 2000)}), ArchiveLimits{MaxBytes: 1000}, "more than 1000 bytes"},
		"too many":     {tarOf(t, false, map[string]string{"a": "1", "b": "2", "c": "3"}), ArchiveLimits{MaxFiles: 2}, "more than 2 files"},
		"truncated":    {tarOf(t, true, map[string]string{"a": strings.Repeat("x", 5000)})[:60], ArchiveLimits{}, "src.tgz"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := OpenArchive("src.tgz", tc.data, tc.lim)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("got %v, want an error with %q", err, tc.want)
			}
		})
	}
}

func FuzzOpenArchive(f *testing.F) {
	f.Add(tarOf(f, false, map[string]string{"a/b": "c"}))
	f.Add(tarOf(f, true, map[string]string{"a/b": "c"}))
	f.Add(zipOf(f, map[string]string{"a/b": "c"}))
	f.Fuzz(func(t *testing.T, data []byte) {
		fsys, err := OpenArchive("fuzz", data, ArchiveLimits{MaxBytes: 1 << 20, MaxFiles: 100})
		if err != nil {
			return
		}
		fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
			if err == nil && !fs.ValidPath(p) {
				t.Fatalf("invalid path %q", p)
			}
			return nil
		})
	})
}

// TestArchiveRatioLimit: a small archive that unpacks to far more than its size is refused
// while it is read, with the ratio named; an ordinary archive under the floor is read.
func TestArchiveRatioLimit(t *testing.T) {
	zeros := strings.Repeat("\x00", 8<<20)
	lim := ArchiveLimits{MaxBytes: 1 << 30, MaxRatio: 100, RatioFloor: 1 << 20}
	for name, data := range map[string][]byte{
		"bomb.tar.gz": tarOf(t, true, map[string]string{"a": zeros}),
		"bomb.zip":    zipOf(t, map[string]string{"a": zeros, "b": zeros}),
	} {
		if len(data) > 100<<10 {
			t.Fatalf("%s: %d bytes, not a bomb", name, len(data))
		}
		_, err := OpenArchive(name, data, lim)
		if err == nil || !strings.Contains(err.Error(), "100 times its own size") || !strings.Contains(err.Error(), name) {
			t.Errorf("%s: err = %v, want the ratio limit", name, err)
		}
	}
	if _, err := OpenArchive("small.tar.gz", tarOf(t, true, map[string]string{"go.mod": "module x\n", "z": zeros[:512<<10]}), lim); err != nil {
		t.Errorf("an archive under the floor: %v", err)
	}
	// Without a ratio only MaxBytes counts.
	if _, err := OpenArchive("bomb.tar.gz", tarOf(t, true, map[string]string{"a": zeros}), ArchiveLimits{MaxBytes: 1 << 30}); err != nil {
		t.Errorf("no ratio: %v", err)
	}
}
