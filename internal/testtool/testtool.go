// Package testtool finds the Debian tools tests build fixtures with or compare against. Without
// a tool a test skips, unless SIEGEL_TEST_FIRMWARE_TOOLS_REQUIRED=1 (set by .ci/run, which
// installs them all): then it fails, so CI never passes by skipping.
package testtool

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// packages names the Debian package of each tool, for the message of a missing one.
var packages = map[string]string{
	"mksquashfs": "squashfs-tools", "unsquashfs": "squashfs-tools",
	"mkfs.jffs2": "mtd-utils", "mkfs.ubifs": "mtd-utils", "ubinize": "mtd-utils", "sumtool": "mtd-utils",
	"mke2fs": "e2fsprogs", "e2fsck": "e2fsprogs", "debugfs": "e2fsprogs", "mkfs.cramfs": "util-linux",
	"mkimage": "u-boot-tools", "dtc": "device-tree-compiler", "cpio": "cpio",
	"mkpasswd": "whois", "openssl": "openssl", "gcc": "gcc libc6-dev",
	"ssh-keygen": "openssh-client", "dropbearkey": "dropbear-bin", "pdftotext": "poppler-utils",
	"xz": "xz-utils", "zstd": "zstd", "lz4": "lz4", "bzip2": "bzip2",
	"setcap": "libcap2-bin", "getcap": "libcap2-bin",
}

// Required reports whether missing tools fail tests instead of skipping them.
func Required() bool { return os.Getenv("SIEGEL_TEST_FIRMWARE_TOOLS_REQUIRED") == "1" }

// Path returns the path of the tool, looked up on PATH and in /usr/sbin and /sbin (not on every
// user's PATH); without it the test skips, or fails when tools are Required.
func Path(t testing.TB, name string) string {
	t.Helper()
	if p, err := exec.LookPath(name); err == nil {
		return p
	}
	for _, dir := range []string{"/usr/sbin", "/sbin"} {
		if p := filepath.Join(dir, name); isFile(p) {
			return p
		}
	}
	pkg := packages[name]
	if pkg == "" {
		pkg = "the package that provides it"
	}
	if Required() {
		t.Fatalf("%s is required (apt-get install -y %s)", name, pkg)
	}
	t.Skipf("%s not installed (apt-get install -y %s)", name, pkg)
	return ""
}

func isFile(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.Mode().IsRegular()
}
