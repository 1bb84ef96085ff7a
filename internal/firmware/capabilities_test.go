package firmware

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/siegel-oss/siegel/internal/firmware/unpack"
	"github.com/siegel-oss/siegel/internal/testtool"
)

// TestFileCapsAgainstLibcap sets capabilities with setcap, reads back the attribute the kernel
// stored and checks that the decoding spells them as libcap's getcap does.
func TestFileCapsAgainstLibcap(t *testing.T) {
	setcap, getcap := testtool.Path(t, "setcap"), testtool.Path(t, "getcap")
	f := filepath.Join(t.TempDir(), "prog")
	if err := os.WriteFile(f, []byte("x"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, spec := range []string{
		"cap_net_raw+ep",
		"cap_net_admin,cap_net_raw+ep",
		"cap_sys_admin+p",
		"cap_net_bind_service+ei",
		"cap_dac_override,cap_setuid+eip",
		"cap_checkpoint_restore,cap_chown+ep", // one capability in each 32-bit set
	} {
		if out, err := exec.Command(setcap, spec, f).CombinedOutput(); err != nil {
			t.Skipf("setcap %s: %v %s (needs root)", spec, err, out)
		}
		buf := make([]byte, 64)
		n, err := syscall.Getxattr(f, "security.capability", buf)
		if err != nil {
			t.Fatal(err)
		}
		c, err := parseFileCaps(string(buf[:n]))
		if err != nil {
			t.Fatalf("%s: %v", spec, err)
		}
		out, err := exec.Command(getcap, f).Output()
		if err != nil {
			t.Fatal(err)
		}
		want := strings.TrimSpace(strings.TrimPrefix(string(out), f))
		if got := c.String(); got != want {
			t.Errorf("%s: decoded as %q, getcap says %q", spec, got, want)
		}
	}
}

func TestParseFileCapsRejects(t *testing.T) {
	for _, v := range []string{"", "\x01\x00", "\x00\x00\x00\x04" + strings.Repeat("\x00", 16), "\x00\x00\x00\x02" + strings.Repeat("\x00", 8)} {
		if _, err := parseFileCaps(v); err == nil {
			t.Errorf("%q accepted", v)
		}
	}
}

func TestCapabilityWeakness(t *testing.T) {
	caps := func(magic, permitted, inheritable uint32) string {
		b := make([]byte, 20)
		for i, v := range []uint32{magic, permitted, inheritable} {
			b[4*i], b[4*i+1], b[4*i+2], b[4*i+3] = byte(v), byte(v>>8), byte(v>>16), byte(v>>24)
		}
		return string(b)
	}
	tree := unpack.NewTree("test", nil)
	for _, e := range []unpack.Entry{
		{Path: "usr/bin/ping", Mode: 0o755, Xattrs: map[string]string{"security.capability": caps(0x02000001, 1<<13, 0)}},
		{Path: "usr/sbin/helper", Mode: 0o755, Xattrs: map[string]string{"security.capability": caps(0x02000001, 1<<21|1<<13, 0)}},
		{Path: "usr/bin/inherit", Mode: 0o755, Xattrs: map[string]string{"security.capability": caps(0x02000000, 0, 1<<10)}},
		{Path: "usr/bin/broken", Mode: 0o755, Xattrs: map[string]string{"security.capability": "junk"}},
		{Path: "usr/share/doc", Mode: 0o644, Xattrs: map[string]string{"security.capability": caps(0x02000001, 1<<21, 0)}}, // not executable
		{Path: "usr/bin/plain", Mode: 0o755, Xattrs: map[string]string{"user.note": "x"}},
	} {
		if err := tree.Add(e); err != nil {
			t.Fatal(err)
		}
	}
	got := map[string]string{}
	for _, w := range CheckPermissions(tree) {
		if w.ID == "file-capabilities" {
			got[w.Path] = w.Severity
			if w.Path == "usr/sbin/helper" && (!strings.Contains(w.Message, "cap_sys_admin") || w.Evidence != "security.capability cap_net_raw,cap_sys_admin=ep") {
				t.Errorf("helper: %q / %q", w.Message, w.Evidence)
			}
		}
	}
	want := map[string]string{"usr/bin/ping": "low", "usr/sbin/helper": "high", "usr/bin/inherit": "info", "usr/bin/broken": "medium"}
	if len(got) != len(want) {
		t.Errorf("got %v, want %v", got, want)
	}
	for p, sev := range want {
		if got[p] != sev {
			t.Errorf("%s: severity %q, want %q", p, got[p], sev)
		}
	}
}

func FuzzParseFileCaps(f *testing.F) {
	f.Add("\x01\x00\x00\x02\x00\x20\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00")
	f.Add("\x00\x00\x00\x03" + strings.Repeat("\xff", 20))
	f.Add("\x00\x00\x00\x01\x01\x00\x00\x00\x00\x00\x00\x00")
	f.Fuzz(func(t *testing.T, v string) {
		c, err := parseFileCaps(v)
		if err != nil {
			return
		}
		if c.revision < 1 || c.revision > 3 || len(v) != map[int]int{1: 12, 2: 20, 3: 24}[c.revision] {
			t.Fatalf("accepted %q as revision %d", v, c.revision)
		}
		if c.revision == 1 && (c.permitted>>32 != 0 || c.inheritable>>32 != 0) {
			t.Fatalf("revision 1 with capabilities above 31: %+v", c)
		}
		_ = c.String()
		capabilityWeakness(&unpack.Entry{Path: "x", Mode: 0o755, Xattrs: map[string]string{"security.capability": v}})
	})
}
