package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/siegel-oss/siegel/internal/firmware/crypt"
	"github.com/siegel-oss/siegel/internal/firmware/fwtest"
	"github.com/siegel-oss/siegel/internal/input"
	"github.com/siegel-oss/siegel/internal/sbom"
)

// weakRouter is an initramfs with a Mirai default password (DES crypt, as old busybox images
// store it) and telnet started at boot.
func weakRouter(t *testing.T) string {
	t.Helper()
	des, err := crypt.Hash("ab", "vizxv")
	if err != nil {
		t.Fatal(err)
	}
	img := fwtest.CPIO(map[string]string{
		"etc/passwd":          "root:x:0:0:root:/root:/bin/sh\n",
		"etc/shadow":          "root:" + des + ":0:0:99999:7:::\n",
		"etc/inittab":         "::sysinit:/etc/init.d/rcS\n::respawn:/usr/sbin/telnetd -F\n",
		"etc/openwrt_release": "DISTRIB_ID='OpenWrt'\nDISTRIB_RELEASE='19.07.10'\n",
		"usr/lib/opkg/status": "Package: dropbear\nVersion: 2019.78-2\nStatus: install user installed\nArchitecture: mipsel_24kc\n\n",
		"bin/busybox":         strings.Repeat("\x00", 512) + "BusyBox v1.30.1 (2022-04-09 09:39:02 UTC) multi-call binary.\x00",
	}, map[string]int{"bin/busybox": 0o104755})
	p := filepath.Join(t.TempDir(), "router.bin")
	if err := os.WriteFile(p, img, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestFirmwareScan(t *testing.T) {
	img := weakRouter(t)
	code, out, stderr := invokeCLI(t, "", "firmware", "scan", "--no-vulns", "--format", "json", img)
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var rep struct {
		Layers     []struct{ Format string }
		Weaknesses []struct{ Rule, ID, Path string }
		Components []struct{ Name, Version, Source string }
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatal(err)
	}
	var rules []string
	for _, w := range rep.Weaknesses {
		rules = append(rules, w.Rule+"/"+w.ID)
	}
	for _, want := range []string{"weak-credentials/default-password", "telnet/telnet-at-boot", "permissions/setuid"} {
		if !slices.Contains(rules, want) {
			t.Errorf("%s missing from %v", want, rules)
		}
	}
	var comps []string
	for _, c := range rep.Components {
		comps = append(comps, c.Name+"@"+c.Version)
	}
	for _, want := range []string{"busybox@1.30.1", "dropbear@2019.78-2", "openwrt@19.07.10"} {
		if !slices.Contains(comps, want) {
			t.Errorf("component %s missing from %v", want, comps)
		}
	}

	// --fail-on: a weakness rule that matches exits 3; one that does not exits 0.
	if code, _, _ := invokeCLI(t, "", "firmware", "scan", "--no-vulns", "--fail-on", "weak-credentials", img); code != ExitPolicy {
		t.Errorf("--fail-on weak-credentials: exit %d, want %d", code, ExitPolicy)
	}
	if code, _, stderr := invokeCLI(t, "", "firmware", "scan", "--no-vulns", "--fail-on", "private-key", img); code != ExitOK {
		t.Errorf("--fail-on private-key: exit %d: %s", code, stderr)
	}
	if code, _, _ := invokeCLI(t, "", "firmware", "scan", "--fail-on", "nonsense", img); code != ExitUsage {
		t.Errorf("bad --fail-on: exit %d", code)
	}

	// The CycloneDX output is schema-valid CycloneDX 1.6 and reads back with every component.
	code, out, stderr = invokeCLI(t, "", "firmware", "scan", "--no-vulns", "--format", "cyclonedx", img)
	if code != ExitOK {
		t.Fatalf("cyclonedx: exit %d: %s", code, stderr)
	}
	if probs, err := sbom.CheckSchema([]byte(out), sbom.CycloneDXJSON); err != nil || len(probs) > 0 {
		t.Fatalf("CycloneDX output not schema-valid: %v %+v", err, probs)
	}
	doc, err := sbom.Decode("firmware.cdx.json", []byte(out), input.DefaultLimits())
	if err != nil {
		t.Fatal(err)
	}
	if len(doc.Components) < 3 {
		t.Errorf("CycloneDX has %d components", len(doc.Components))
	}

	// SARIF validates against the OASIS schema and has a result per weakness, with its line.
	code, out, _ = invokeCLI(t, "", "firmware", "scan", "--no-vulns", "--format", "sarif", img)
	if code != ExitOK {
		t.Fatalf("sarif: exit %d", code)
	}
	validateSARIF(t, []byte(out))
	if !strings.Contains(out, `"startLine": 2`) || !strings.Contains(out, "telnet/telnet-at-boot") {
		t.Errorf("SARIF lacks the telnet line:\n%s", out)
	}

	// The table names the weaknesses and the components.
	_, out, _ = invokeCLI(t, "", "firmware", "scan", "--no-vulns", img)
	for _, want := range []string{"WEAKNESSES", "default-password", "0.cpio/etc/shadow:1", "COMPONENTS", "busybox"} {
		if !strings.Contains(out, want) {
			t.Errorf("table lacks %q:\n%s", want, out)
		}
	}
}

func TestFirmwareScanLimits(t *testing.T) {
	img := weakRouter(t)
	code, _, stderr := invokeCLI(t, "", "firmware", "scan", "--no-vulns", "--max-files", "3", img)
	if code != ExitError || !strings.Contains(stderr, "--max-files") {
		t.Errorf("file limit: exit %d, %s", code, stderr)
	}
	code, _, stderr = invokeCLI(t, "", "firmware", "scan", "--no-vulns", filepath.Join(t.TempDir(), "missing.bin"))
	if code != ExitError || !strings.Contains(stderr, "missing.bin") {
		t.Errorf("missing image: exit %d, %s", code, stderr)
	}
}
