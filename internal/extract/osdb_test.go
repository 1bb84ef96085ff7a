package extract

import (
	"database/sql"
	"encoding/binary"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/siegel-oss/siegel/internal/input"
)

// rpmHeader builds an RPM header blob (as rpmdb.sqlite stores it) with string tags and an
// optional epoch, laid out as rpm lays it out: index entries, then the data store.
func rpmHeader(strs map[uint32]string, epoch int32, withEpoch bool) []byte {
	type entry struct{ tag, typ, off, count uint32 }
	var entries []entry
	var data []byte
	if withEpoch {
		entries = append(entries, entry{rpmTagEpoch, rpmTypeInt32, 0, 1})
		data = binary.BigEndian.AppendUint32(data, uint32(epoch))
	}
	for _, tag := range []uint32{rpmTagName, rpmTagVersion, rpmTagRelease, rpmTagVendor, rpmTagLicense, rpmTagArch, rpmTagSourceRPM} {
		s, ok := strs[tag]
		if !ok {
			continue
		}
		entries = append(entries, entry{tag, rpmTypeString, uint32(len(data)), 1})
		data = append(append(data, s...), 0)
	}
	blob := binary.BigEndian.AppendUint32(nil, uint32(len(entries)))
	blob = binary.BigEndian.AppendUint32(blob, uint32(len(data)))
	for _, e := range entries {
		for _, v := range []uint32{e.tag, e.typ, e.off, e.count} {
			blob = binary.BigEndian.AppendUint32(blob, v)
		}
	}
	return append(blob, data...)
}

func TestOSRPMSQLite(t *testing.T) {
	root := t.TempDir()
	dbPath := filepath.Join(root, "var/lib/rpm/rpmdb.sqlite")
	if err := os.MkdirAll(filepath.Dir(dbPath), 0o755); err != nil {
		t.Fatal(err)
	}
	os.MkdirAll(filepath.Join(root, "etc"), 0o755)
	os.WriteFile(filepath.Join(root, "etc/os-release"), []byte("NAME=\"Red Hat Enterprise Linux\"\nID=\"rhel\"\nVERSION_ID=\"9.4\"\n"), 0o644)
	db, err := sql.Open("sqlite", dbPath)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec("CREATE TABLE Packages (hnum INTEGER PRIMARY KEY AUTOINCREMENT, blob BLOB NOT NULL)"); err != nil {
		t.Fatal(err)
	}
	for _, h := range [][]byte{
		rpmHeader(map[uint32]string{rpmTagName: "openssl-libs", rpmTagVersion: "3.0.7", rpmTagRelease: "27.el9", rpmTagArch: "x86_64",
			rpmTagLicense: "ASL 2.0", rpmTagVendor: "Red Hat, Inc.", rpmTagSourceRPM: "openssl-3.0.7-27.el9.src.rpm"}, 1, true),
		rpmHeader(map[uint32]string{rpmTagName: "bash", rpmTagVersion: "5.1.8", rpmTagRelease: "9.el9", rpmTagArch: "x86_64",
			rpmTagSourceRPM: "bash-5.1.8-9.el9.src.rpm"}, 0, false),
		rpmHeader(map[uint32]string{rpmTagName: "gpg-pubkey", rpmTagVersion: "fd431d51", rpmTagRelease: "4ae0493b"}, 0, false),
	} {
		if _, err := db.Exec("INSERT INTO Packages (blob) VALUES (?)", h); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()
	info, _ := os.Stat(dbPath)
	f := File{Path: "var/lib/rpm/rpmdb.sqlite", Mode: info.Mode(), Size: info.Size()}
	if !(dbRPM{}).Match(f) {
		t.Fatal("rpmdb.sqlite not matched")
	}
	res, err := dbRPM{}.Extract(t.Context(), os.DirFS(root), f, input.DefaultLimits())
	if err != nil {
		t.Fatal(err)
	}
	want := "component pkg:rpm/redhat/openssl-libs@3.0.7-27.el9?arch=x86_64&distro=rhel-9.4&epoch=1 name=\"openssl-libs\" version=\"1:3.0.7-27.el9\" siegel:source-package=openssl licence=ASL 2.0\n" +
		"component pkg:rpm/redhat/bash@5.1.8-9.el9?arch=x86_64&distro=rhel-9.4 name=\"bash\" version=\"5.1.8-9.el9\" siegel:source-package=bash\n"
	if diff := cmp.Diff(want, render(res)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if res.Components[0].Supplier != "Red Hat, Inc." {
		t.Errorf("vendor %q", res.Components[0].Supplier)
	}
}

func TestOSRPMHeaderErrors(t *testing.T) {
	good := rpmHeader(map[uint32]string{rpmTagName: "a", rpmTagVersion: "1"}, 0, false)
	for name, blob := range map[string][]byte{
		"empty":       nil,
		"truncated":   good[:len(good)-3],
		"huge counts": {0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0},
		"bad offset": func() []byte {
			b := append([]byte(nil), good...)
			binary.BigEndian.PutUint32(b[8+8:], 1<<20) // first entry's offset
			return b
		}(),
		"no name": rpmHeader(map[uint32]string{rpmTagVersion: "1"}, 0, false),
	} {
		if _, err := parseRPMHeader(blob); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if p, err := parseRPMHeader(good); err != nil || p.name != "a" {
		t.Errorf("good header: %+v, %v", p, err)
	}
}

func FuzzOSRPMHeader(f *testing.F) {
	f.Add(rpmHeader(map[uint32]string{rpmTagName: "openssl", rpmTagVersion: "3.0.7", rpmTagRelease: "1"}, 1, true))
	f.Fuzz(func(t *testing.T, blob []byte) {
		_, _ = parseRPMHeader(blob) // must not panic
	})
}

func TestOSStanzaErrors(t *testing.T) {
	for _, tc := range []struct{ data, want string }{
		{" continuation first\n", "status:1:1"},
		{"Package: a\nVersion 1\n", "status:2:1"},
		{"Package: a\nStatus: install ok installed\n", "status:1: control syntax: stanza without Package or Version"},
	} {
		_, err := dbDpkg{}.Extract(t.Context(), mapFS("var/lib/dpkg/status", tc.data), File{Path: "var/lib/dpkg/status", Size: int64(len(tc.data))}, input.DefaultLimits())
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("got %v, want %q", err, tc.want)
		}
	}
}

// TestOSScanRootfs scans a whole root filesystem with every extractor: the dpkg database is found
// and the distribution comes from etc/os-release.
func TestOSScanRootfs(t *testing.T) {
	inv, err := Scan(t.Context(), os.DirFS("testdata/rootfs/debian"), Options{})
	if err != nil || len(inv.Errors) > 0 {
		t.Fatal(err, inv.Errors)
	}
	doc := inv.Document(Subject{Name: "debian-image"}, timeZero, nil)
	var purls []string
	for _, c := range doc.Components[1:] {
		purls = append(purls, c.PURL)
	}
	if len(purls) != 5 || !strings.Contains(strings.Join(purls, " "), "pkg:deb/debian/openssh-server@1:9.2p1-2%2Bdeb12u3?arch=amd64&distro=debian-12") {
		t.Errorf("purls %v", purls)
	}
}
