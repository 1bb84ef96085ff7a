package firmware

import (
	"io/fs"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/siegel-oss/siegel/internal/firmware/unpack"
)

func TestCheckPermissions(t *testing.T) {
	pemKey := []byte("-----BEGIN OPENSSH PRIVATE KEY-----\nAAAA\n-----END OPENSSH PRIVATE KEY-----\n")
	tr := unpack.NewTree("test", nil)
	for _, e := range []unpack.Entry{
		// Positives.
		{Path: "bin/busybox", Mode: fs.ModeSetuid | 0o755, Data: []byte("\x7fELF BusyBox v1.36.1")},
		{Path: "bin/sh", Mode: fs.ModeSetgid | 0o755, Data: []byte("\x7fELF")},
		{Path: "usr/bin/passwd", Mode: fs.ModeSetuid | 0o755, Data: []byte("\x7fELF")},
		{Path: "usr/bin/games", Mode: fs.ModeSetgid | 0o755, GID: 60, Data: []byte("\x7fELF")},
		{Path: "usr/sbin/helper", Mode: fs.ModeSetuid | 0o755, UID: 1000, Data: []byte("\x7fELF")},
		{Path: "etc/shadow", Mode: 0o644, UID: 1000},
		{Path: "etc/passwd", Mode: 0o666},
		{Path: "etc/config/network", Mode: 0o666},
		{Path: "usr/bin/update.sh", Mode: 0o777, Data: []byte("#!/bin/sh\n")},
		{Path: "var/log/messages", Mode: 0o666},
		{Path: "www/cgi-bin", Mode: fs.ModeDir | 0o777},
		{Path: "etc/dropbear/dropbear_rsa_host_key", Mode: 0o644, Data: []byte("\x00\x00\x00\x07ssh-rsa")},
		{Path: "etc/ssl/private/server.pem", Mode: 0o644, Data: pemKey},
		{Path: "dev/mem", Mode: fs.ModeDevice | fs.ModeCharDevice | 0o666, Dev: 1<<8 | 1},
		{Path: "dev/mtdblock0", Mode: fs.ModeDevice | 0o666, Dev: 31 << 8},
		{Path: "dev/ttyS0", Mode: fs.ModeDevice | fs.ModeCharDevice | 0o666, Dev: 4<<8 | 64},
		// Negative controls.
		{Path: "tmp", Mode: fs.ModeDir | fs.ModeSticky | 0o777},
		{Path: "var/tmp", Mode: fs.ModeDir | fs.ModeSticky | 0o777},
		{Path: "dev/null", Mode: fs.ModeDevice | fs.ModeCharDevice | 0o666, Dev: 1<<8 | 3},
		{Path: "dev/zero", Mode: fs.ModeDevice | fs.ModeCharDevice | 0o666, Dev: 1<<8 | 5},
		{Path: "dev/ptmx", Mode: fs.ModeDevice | fs.ModeCharDevice | 0o666, Dev: 5<<8 | 2},
		{Path: "dev/urandom", Mode: fs.ModeDevice | fs.ModeCharDevice | 0o666, Dev: 1<<8 | 9},
		{Path: "dev/log", Mode: fs.ModeSocket | 0o777},
		{Path: "bin/ls", Mode: fs.ModeSymlink | 0o777, Link: "busybox"},
		{Path: "etc/gshadow", Mode: 0o640},
		{Path: "etc/group", Mode: 0o644},
		{Path: "etc/ssl/certs/ca.pem", Mode: 0o644, Data: []byte("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n")},
		{Path: "etc/ssh/ssh_host_rsa_key", Mode: 0o600, Data: pemKey},
		{Path: "etc/ssh/ssh_host_rsa_key.pub", Mode: 0o644, Data: []byte("ssh-rsa AAAA")},
		{Path: "etc/mode-locked", Mode: fs.ModeSetgid | 0o644},
		{Path: "usr/share/license.key", Mode: 0o644, Data: []byte("ABCD-EFGH")},
	} {
		if err := tr.Add(e); err != nil {
			t.Fatal(err)
		}
	}
	type row struct{ Path, ID, Severity string }
	var rows []row
	for _, w := range CheckPermissions(tr) {
		rows = append(rows, row{w.Path, w.ID, w.Severity})
		if w.Rule != "permissions" || w.Message == "" || w.Evidence == "" || len(w.Requirements) == 0 {
			t.Errorf("incomplete weakness %+v", w)
		}
	}
	want := []row{
		{"bin/busybox", "setuid", "high"},
		{"bin/sh", "setgid", "medium"},
		{"dev/mem", "world-writable-device", "high"},
		{"dev/mtdblock0", "world-writable-device", "high"},
		{"dev/ttyS0", "world-writable-device", "low"},
		{"etc/config/network", "world-writable-file", "high"},
		{"etc/dropbear/dropbear_rsa_host_key", "private-key-readable", "medium"},
		{"etc/passwd", "passwd-writable", "high"},
		{"etc/shadow", "shadow-readable", "high"},
		{"etc/shadow", "shadow-owner", "medium"},
		{"etc/ssl/private/server.pem", "private-key-readable", "medium"},
		{"usr/bin/games", "setgid", "info"},
		{"usr/bin/passwd", "setuid", "low"},
		{"usr/bin/update.sh", "world-writable-file", "high"},
		{"usr/sbin/helper", "setuid", "info"},
		{"var/log/messages", "world-writable-file", "medium"},
		{"www/cgi-bin", "world-writable-directory", "medium"},
	}
	if diff := cmp.Diff(want, rows); diff != "" {
		t.Fatalf("(-want +got):\n%s", diff)
	}
}

func TestModeString(t *testing.T) {
	for m, want := range map[fs.FileMode]string{
		fs.ModeSetuid | 0o755:              "-rwsr-xr-x",
		fs.ModeSetgid | 0o644:              "-rw-r-Sr--",
		fs.ModeDir | fs.ModeSticky | 0o777: "drwxrwxrwt",
		fs.ModeDevice | 0o660:              "brw-rw----",
		fs.ModeDevice | fs.ModeCharDevice:  "c---------",
	} {
		if got := modeString(m); got != want {
			t.Errorf("modeString(%v) = %q, want %q", m, got, want)
		}
	}
}
