package firmware

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/siegel-oss/siegel/internal/testtool"

	"github.com/siegel-oss/siegel/internal/firmware/crypt"
)

func writeTree(t testing.TB, dir string, files map[string]string, modes map[string]os.FileMode, links map[string]string) {
	t.Helper()
	for p, body := range files {
		full := filepath.Join(dir, p)
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for p, m := range modes {
		if err := os.Chmod(filepath.Join(dir, p), m); err != nil {
			t.Fatal(err)
		}
	}
	for p, target := range links {
		full := filepath.Join(dir, p)
		os.MkdirAll(filepath.Dir(full), 0o755)
		if err := os.Symlink(target, full); err != nil {
			t.Fatal(err)
		}
	}
}

// routerImage builds an OpenWrt-style sysupgrade image: a U-Boot uImage with an LZMA-compressed
// kernel, padded to 64 KiB, followed by a squashfs root file system (xz) made from root.
func routerImage(t testing.TB, root string) []byte {
	t.Helper()
	for _, tool := range []string{"mksquashfs", "mkimage", "xz"} {
		testtool.Path(t, tool)
	}
	dir := t.TempDir()
	kernel := []byte(strings.Repeat("kernel text ", 4000) + "Linux version 5.15.134 (builder@buildhost) (mips-openwrt-linux-musl-gcc (OpenWrt GCC 12.3.0 r23630-842932a63d) 12.3.0, GNU ld (GNU Binutils) 2.40.0) #0 Mon Oct 9 21:45:57 2023\x00")
	cmd := exec.Command("xz", "-c", "--format=lzma")
	cmd.Stdin = bytes.NewReader(kernel)
	lz, err := cmd.Output()
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, "kernel.lzma"), lz, 0o644)
	if out, err := exec.Command("mkimage", "-q", "-A", "mips", "-O", "linux", "-T", "kernel", "-C", "lzma", "-a", "0x80060000",
		"-e", "0x80060000", "-n", "MIPS OpenWrt Linux-5.15.134", "-d", filepath.Join(dir, "kernel.lzma"), filepath.Join(dir, "uImage")).CombinedOutput(); err != nil {
		t.Fatalf("mkimage: %v %s", err, out)
	}
	if out, err := exec.Command("mksquashfs", root, filepath.Join(dir, "root.sqfs"), "-comp", "xz", "-all-root", "-noappend", "-quiet").CombinedOutput(); err != nil {
		t.Fatalf("mksquashfs: %v %s", err, out)
	}
	uimage, _ := os.ReadFile(filepath.Join(dir, "uImage"))
	sqfs, _ := os.ReadFile(filepath.Join(dir, "root.sqfs"))
	img := append(uimage, bytes.Repeat([]byte{0xff}, 0x10000-len(uimage))...)
	return append(img, sqfs...)
}

func plantedRoot(t testing.TB) string {
	t.Helper()
	root := t.TempDir()
	md5, err := crypt.Hash("$1$Mirai123", "xc3511")
	if err != nil {
		t.Fatal(err)
	}
	key, _ := rsa.GenerateKey(rand.Reader, 1024)
	keyPEM := pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)})
	writeTree(t, root, map[string]string{
		"etc/passwd":          "root:x:0:0:root:/root:/bin/ash\nadmin:x:1000:1000:admin:/home/admin:/bin/ash\ndaemon:*:1:1:daemon:/var:/bin/false\n",
		"etc/shadow":          "root:" + md5 + ":19000:0:99999:7:::\nadmin::19000:0:99999:7:::\ndaemon:*:0:0:99999:7:::\n",
		"etc/inittab":         "::sysinit:/etc/init.d/rcS S boot\n::respawn:/usr/sbin/telnetd -F -p 2323 -l /bin/login\n",
		"etc/openwrt_release": "DISTRIB_ID='OpenWrt'\nDISTRIB_RELEASE='23.05.2'\nDISTRIB_REVISION='r23630-842932a63d'\nDISTRIB_TARGET='ath79/generic'\nDISTRIB_ARCH='mips_24kc'\n",
		"usr/lib/opkg/status": "Package: busybox\nVersion: 1.36.1-1\nStatus: install user installed\nArchitecture: mips_24kc\n\n" +
			"Package: dropbear\nVersion: 2022.82-6\nStatus: install user installed\nArchitecture: mips_24kc\n\n",
		"etc/ssl/private/device.key": string(keyPEM),
		"bin/busybox":                strings.Repeat("\x00", 4096) + "BusyBox v1.36.1 (2023-10-09 21:45:57 UTC) multi-call binary.\x00" + strings.Repeat("\x00", 4096),
		"etc/config/wireless":        "config wifi-iface\n\toption key 'secret'\n",
		"lib/modules/5.15.134/.keep": "",
	}, map[string]os.FileMode{
		"bin/busybox":         os.ModeSetuid | 0o755,
		"etc/config/wireless": 0o666,
	}, map[string]string{
		"usr/sbin/telnetd": "../../bin/busybox",
		"bin/login":        "busybox",
	})
	return root
}

type weak struct{ rule, id, path string }

func TestAnalyzeRouterImage(t *testing.T) {
	img := routerImage(t, plantedRoot(t))
	rep, err := Analyze(context.Background(), "router.bin", img, Options{})
	if err != nil {
		t.Fatal(err)
	}
	var layers []string
	for _, l := range rep.Layers {
		layers = append(layers, l.Path)
	}
	for _, want := range []string{"0.uimage", "10000.squashfs"} {
		if !slices.Contains(layers, want) {
			t.Errorf("layer %s missing: %v (problems %+v)", want, layers, rep.Problems)
		}
	}
	var got []weak
	for _, w := range rep.Weaknesses {
		got = append(got, weak{w.Rule, w.ID, w.Path})
		if len(w.Requirements) == 0 {
			t.Errorf("%s/%s at %s names no requirement", w.Rule, w.ID, w.Path)
		}
	}
	fs := "10000.squashfs/"
	for _, want := range []weak{
		{"weak-credentials", "default-password", fs + "etc/shadow"},
		{"weak-credentials", "empty-password", fs + "etc/shadow"},
		{"telnet", "telnet-at-boot", fs + "etc/inittab"},
		{"private-key", "private-key", fs + "etc/ssl/private/device.key"},
		{"permissions", "", fs + "bin/busybox"},
		{"permissions", "", fs + "etc/config/wireless"},
	} {
		found := slices.ContainsFunc(got, func(g weak) bool {
			return g.rule == want.rule && g.path == want.path && (want.id == "" || g.id == want.id)
		})
		if !found {
			t.Errorf("weakness %+v not found in %+v", want, got)
		}
	}
	for _, w := range rep.Weaknesses {
		if w.ID == "default-password" && (w.Line != 1 || !strings.Contains(w.Evidence, "xc3511")) {
			t.Errorf("default password: line %d evidence %q", w.Line, w.Evidence)
		}
		if w.ID == "telnet-at-boot" && w.Line != 2 {
			t.Errorf("telnet line %d, want 2", w.Line)
		}
	}
	byPURL := map[string]Component{}
	for _, c := range rep.Components {
		byPURL[c.PURL] = c
	}
	for purl, where := range map[string]string{
		"pkg:generic/openwrt@23.05.2": fs + "etc/openwrt_release",
		"pkg:generic/linux@5.15.134":  fs + "lib/modules/5.15.134",
		"pkg:generic/busybox@1.36.1":  fs + "bin/busybox",
		"pkg:opkg/openwrt/busybox@1.36.1-1?arch=mips_24kc&distro=openwrt-23.05.2": fs + "usr/lib/opkg/status",
	} {
		c, ok := byPURL[purl]
		if !ok {
			t.Errorf("component %s missing; have %v", purl, keys(byPURL))
			continue
		}
		if !slices.ContainsFunc(c.Evidence, func(e Evidence) bool { return e.Path == where }) {
			t.Errorf("%s: no evidence in %s: %+v", purl, where, c.Evidence)
		}
	}
	// The kernel's own banner is found in the uImage payload too.
	if c := byPURL["pkg:generic/linux@5.15.134"]; !slices.ContainsFunc(c.Evidence, func(e Evidence) bool { return strings.HasPrefix(e.Path, "0.uimage/") }) {
		t.Errorf("kernel banner in the uImage not found: %+v", c.Evidence)
	}
	busy := byPURL["pkg:generic/busybox@1.36.1"]
	if len(busy.Evidence) == 0 || busy.Evidence[0].Offset != 4096 || !strings.Contains(busy.Evidence[0].Match, "BusyBox v1.36.1") {
		t.Errorf("busybox signature evidence: %+v", busy)
	}
	if rep.SBOM == nil || len(rep.SBOM.Components) < 5 {
		t.Errorf("SBOM has too few components: %+v", rep.SBOM)
	}
}

func keys[V any](m map[string]V) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// The negative control: a root file system with a strong password, no remote shell, no keys and
// sane permissions yields no weakness.
func TestAnalyzeCleanImage(t *testing.T) {
	root := t.TempDir()
	strong, err := crypt.Hash("$6$rounds=5000$8fJ2kQp0Zx", "correct horse battery staple 91!")
	if err != nil {
		t.Fatal(err)
	}
	writeTree(t, root, map[string]string{
		"etc/passwd":           "root:x:0:0:root:/root:/bin/ash\nnobody:*:65534:65534:nobody:/var:/bin/false\n",
		"etc/shadow":           "root:" + strong + ":19000:0:99999:7:::\nnobody:*:0:0:99999:7:::\n",
		"etc/inittab":          "::sysinit:/etc/init.d/rcS S boot\n#::respawn:/usr/sbin/telnetd -F\n::askconsole:/usr/libexec/login.sh\n",
		"etc/ssl/certs/README": "no keys here\n",
	}, map[string]os.FileMode{"etc/shadow": 0o600}, nil)
	rep, err := Analyze(context.Background(), "clean.bin", routerImage(t, root), Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range rep.Weaknesses {
		t.Errorf("false positive: %+v", w)
	}
}
