package firmware

import (
	"errors"
	"io/fs"
	"os/exec"
	"strings"
	"testing"

	"github.com/siegel-oss/siegel/internal/testtool"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/crypto/bcrypt"

	"github.com/siegel-oss/siegel/internal/firmware/crypt"
	"github.com/siegel-oss/siegel/internal/firmware/unpack"
)

// miraiPairs is the user/password list of Mirai's telnet scanner (scanner.c, 2016), written
// out here independently of data/default-credentials.tsv.
var miraiPairs = []string{
	"root:xc3511", "root:vizxv", "root:admin", "admin:admin", "root:888888", "root:xmhdipc",
	"root:default", "root:juantech", "root:123456", "root:54321", "support:support", "root:",
	"admin:password", "root:root", "root:12345", "user:user", "admin:", "root:pass",
	"admin:admin1234", "root:1111", "admin:smcadmin", "admin:1111", "root:666666",
	"root:password", "root:1234", "root:klv123", "Administrator:meinsm", "service:service",
	"supervisor:supervisor", "guest:guest", "guest:12345", "admin1:password", "administrator:1234",
	"666666:666666", "888888:888888", "ubnt:ubnt", "root:klv1234", "root:Zte521", "root:hi3518",
	"root:jvbzd", "root:anko", "root:zlxx.", "root:7ujMko0vizxv", "root:7ujMko0admin",
	"root:system", "root:ikwb", "root:dreambox", "root:user", "root:realtek", "root:00000000",
	"admin:1111111", "admin:1234", "admin:12345", "admin:54321", "admin:123456",
	"admin:7ujMko0admin", "admin:4321", "admin:pass", "admin:meinsm", "tech:tech", "mother:fucker",
}

func TestDefaultCredentials(t *testing.T) {
	creds, errs := parseDefaultCredentials(defaultCredentialsTSV)
	if len(errs) > 0 {
		t.Fatalf("data/default-credentials.tsv: %v", errors.Join(errs...))
	}
	have := map[string]bool{}
	for _, c := range creds {
		key := c.User + ":" + c.Password
		if have[key] {
			t.Errorf("%s listed twice", key)
		}
		have[key] = true
		if c.Source == "mirai" && !contains(miraiPairs, key) {
			t.Errorf("%s marked mirai but not in Mirai's list", key)
		}
	}
	for _, p := range miraiPairs {
		if !have[p] {
			t.Errorf("Mirai pair %q missing from the default list", p)
		}
	}
	if n := len(creds) - len(miraiPairs); n < 25 {
		t.Errorf("%d vendor defaults beyond Mirai's, want a few dozen", n)
	}
	if len(DefaultCredentials()) != len(creds) {
		t.Errorf("DefaultCredentials() has %d rows, the file %d", len(DefaultCredentials()), len(creds))
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func mustHash(t testing.TB, setting, pw string) string {
	t.Helper()
	h, err := crypt.Hash(setting, pw)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func addFile(t testing.TB, tr *unpack.Tree, p, content string) {
	t.Helper()
	if err := tr.Add(unpack.Entry{Path: p, Mode: 0o644, Data: []byte(content)}); err != nil {
		t.Fatal(err)
	}
}

func addLink(t testing.TB, tr *unpack.Tree, p, target string) {
	t.Helper()
	if err := tr.Add(unpack.Entry{Path: p, Mode: fs.ModeSymlink | 0o777, Link: target}); err != nil {
		t.Fatal(err)
	}
}

// finding is what the tests compare of a Weakness; Message and Requirements are checked apart.
type finding struct {
	ID, Severity, Path string
	Line               int
	Evidence           string
}

func project(ws []Weakness) []finding {
	var out []finding
	for _, w := range ws {
		out = append(out, finding{w.ID, w.Severity, w.Path, w.Line, w.Evidence})
	}
	return out
}

func TestCheckCredentials(t *testing.T) {
	bc, err := bcrypt.GenerateFromPassword([]byte("admin"), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	twin := mustHash(t, "$6$rounds=1000$twinsalt", "root")
	passwd := strings.Join([]string{
		"root:x:0:0:root:/root:/bin/sh",                           // 1
		"admin:x:1000:1000:admin:/home/admin:/bin/sh",             // 2
		"support:x:1001:1001::/home/support:/bin/sh",              // 3
		"user:x:1002:1002::/home/user:/bin/ash",                   // 4
		"guest:x:1003:1003::/tmp:/bin/sh",                         // 5
		"tech:x:1004:1004::/tmp:/bin/sh",                          // 6
		"nopass:x:1005:1005::/tmp:/bin/sh",                        // 7
		"daemon:x:1:1:daemon:/:/bin/false",                        // 8
		"# comment",                                               // 9
		"lock1:x:1006:1006::/:/bin/sh",                            // 10
		"lock2:x:1007:1007::/:/bin/sh",                            // 11
		"lock3:x:1008:1008::/:/bin/sh",                            // 12
		"lock4:x:1009:1009::/:/bin/sh",                            // 13
		"noshadow:x:1010:1010::/:/bin/sh",                         // 14
		"strong:x:1011:1011::/:/bin/sh",                           // 15
		"svc:x:1012:1012::/:/sbin/nologin",                        // 16
		"legacy:" + mustHash(t, "Lg", "pass") + ":0:0::/:/bin/sh", // 17
		"oldacct::1013:1013::/:/bin/sh",                           // 18
		"operator:x:1014:1014::/:/bin/sh",                         // 19
		"blank:x:1015:1015::/:/bin/sh",                            // 20
		"twin1:x:1016:1016::/:/bin/sh",                            // 21
		"twin2:x:1017:1017::/:/bin/sh",                            // 22
		"broken",                                                  // 23
		"www:x:33:33::/var/www:/usr/sbin/nologin",                 // 24
		"lockx:x:1018:1018::/:/bin/sh",                            // 25
		"star:*:1019:1019::/:/bin/sh",                             // 26
		"bang:!:1020:1020::/:/bin/sh",                             // 27
		"",
	}, "\n")
	shadow := strings.Join([]string{
		"root:" + mustHash(t, "$6$rounds=1000$rootsalt", "xc3511") + ":19000:0:99999:7:::",         // 1
		"admin:" + string(bc) + ":19000:0:99999:7:::",                                              // 2
		"support:" + mustHash(t, "$1$sUpport", "support") + ":19000::::::",                         // 3
		"user:" + mustHash(t, "Us", "user") + ":19000::::::",                                       // 4
		"guest:" + mustHash(t, "$5$rounds=1000$guestsalt", "12345") + ":19000::::::",               // 5
		"tech:" + mustHash(t, "_J9..tech", "tech") + ":19000::::::",                                // 6
		"nopass::19000:0:99999:7:::",                                                               // 7
		"daemon::19000:0:99999:7:::",                                                               // 8
		"lock1:!:19000:0:99999:7:::",                                                               // 9
		"lock2:*:19000:0:99999:7:::",                                                               // 10
		"lock3:!!:19000:0:99999:7:::",                                                              // 11
		"lock4:!" + mustHash(t, "$6$rounds=1000$locksalt", "admin") + ":19000::::::",               // 12
		"strong:" + mustHash(t, "$6$rounds=1000$strongsalt", "k9#Qv!27-zPq_tR4x") + ":19000::::::", // 13
		"svc:" + mustHash(t, "$6$rounds=1000$svcsalt", "admin") + ":19000::::::",                   // 14
		"operator:" + mustHash(t, "$6$rounds=1000$opsalt", "7ujMko0vizxv") + ":19000::::::",        // 15
		"blank:" + mustHash(t, "$6$rounds=1000$blanksalt", "") + ":19000::::::",                    // 16
		"twin1:" + twin + ":19000::::::",                                                           // 17
		"twin2:" + twin + ":19000::::::",                                                           // 18
		"ghost:" + mustHash(t, "$1$ghost", "admin") + ":19000::::::",                               // 19
		"www::19000::::::",    // 20
		"lockx:x:19000::::::", // 21
		"",
	}, "\n")

	tr := unpack.NewTree("test", nil)
	addFile(t, tr, "etc/passwd", passwd)
	addFile(t, tr, "etc/shadow", shadow)
	addFile(t, tr, "etc/passwd-", "root::0:0:root:/root:/bin/sh\n") // backups are not read
	addFile(t, tr, "etc/shadow-", "root::19000::::::\n")
	// A second root file system whose shadow is a link to a template in etc_ro, resolved within
	// that file system.
	addFile(t, tr, "squashfs-root/etc/passwd", "root:x:0:0::/root:/bin/sh\n")
	addLink(t, tr, "squashfs-root/etc/shadow", "/etc_ro/shadow")
	addFile(t, tr, "squashfs-root/etc_ro/shadow", "# template\nroot:"+mustHash(t, "$5$rounds=1000$ro", "vizxv")+":0:0:99999:7:::\n")
	// A third with only a shadow file.
	addFile(t, tr, "other/etc/shadow", "root::0:0:99999:7:::\n")
	// A passwd file that is a dangling link.
	addLink(t, tr, "dangling/etc/passwd", "/var/passwd")

	got := CheckCredentials(tr)
	want := []finding{
		{"default-password", "critical", "etc/passwd", 17, `user "legacy", password "pass" (mirai)`},
		{"passwd-hash", "medium", "etc/passwd", 17, `user "legacy", des-crypt hash`},
		{"weak-hash-scheme", "low", "etc/passwd", 17, `user "legacy", des-crypt hash`},
		{"empty-password", "critical", "etc/passwd", 18, `user "oldacct", password ""`},
		{"default-password", "critical", "etc/shadow", 1, `user "root", password "xc3511" (mirai)`},
		{"default-password", "critical", "etc/shadow", 2, `user "admin", password "admin" (mirai)`},
		{"default-password", "critical", "etc/shadow", 3, `user "support", password "support" (mirai)`},
		{"weak-hash-scheme", "info", "etc/shadow", 3, `user "support", md5-crypt hash`},
		{"default-password", "critical", "etc/shadow", 4, `user "user", password "user" (mirai)`},
		{"weak-hash-scheme", "low", "etc/shadow", 4, `user "user", des-crypt hash`},
		{"default-password", "critical", "etc/shadow", 5, `user "guest", password "12345" (mirai)`},
		{"default-password", "critical", "etc/shadow", 6, `user "tech", password "tech" (mirai)`},
		{"weak-hash-scheme", "low", "etc/shadow", 6, `user "tech", bsdi-crypt hash`},
		{"empty-password", "critical", "etc/shadow", 7, `user "nopass", password ""`},
		{"default-password", "critical", "etc/shadow", 15, `user "operator", password "7ujMko0vizxv" (mirai)`},
		{"empty-password", "critical", "etc/shadow", 16, `user "blank", password ""`},
		{"default-password", "critical", "etc/shadow", 17, `user "twin1", password "root" (mirai)`},
		{"default-password", "critical", "etc/shadow", 18, `user "twin2", password "root" (mirai)`},
		{"empty-password", "critical", "other/etc/shadow", 1, `user "root", password ""`},
		{"default-password", "critical", "squashfs-root/etc_ro/shadow", 2, `user "root", password "vizxv" (mirai)`},
	}
	if diff := cmp.Diff(want, project(got)); diff != "" {
		t.Errorf("findings (-want +got):\n%s", diff)
	}
	for _, w := range got {
		if w.Rule != RuleCredentials || w.Message == "" || len(w.Requirements) == 0 {
			t.Errorf("incomplete finding %+v", w)
		}
		root := strings.HasPrefix(w.Evidence, `user "root"`) || strings.HasPrefix(w.Evidence, `user "legacy"`)
		if root && w.Path != "other/etc/shadow" && !strings.Contains(w.Message, "UID 0") {
			t.Errorf("%s:%d: message does not say the account has UID 0: %s", w.Path, w.Line, w.Message)
		}
	}
	for _, w := range got {
		if w.Path == "etc/shadow" && w.Line == 15 && !strings.Contains(w.Message, "another user") {
			t.Errorf("cross-user match not explained: %s", w.Message)
		}
	}
}

// TestCheckCredentialsBudget plants strong hashes only: the budget runs out and a finding says so.
func TestCheckCredentialsBudget(t *testing.T) {
	tr := unpack.NewTree("test", nil)
	addFile(t, tr, "etc/passwd", "a:x:1:1::/:/bin/sh\nb:x:2:2::/:/bin/sh\n")
	addFile(t, tr, "etc/shadow",
		"a:"+mustHash(t, "$6$rounds=1000$aaaa", "Vq8!strong-a")+":::::::\n"+
			"b:"+mustHash(t, "$6$rounds=1000$bbbb", "Vq8!strong-b")+":::::::\n")
	got := checkCredentials(tr, 10)
	want := []finding{{"check-incomplete", "info", "etc/shadow", 0, "unchecked accounts in etc/shadow"}}
	if diff := cmp.Diff(want, project(got)); diff != "" {
		t.Errorf("findings (-want +got):\n%s", diff)
	}
	if len(got) == 1 && !strings.Contains(got[0].Message, "budget of 10") {
		t.Errorf("message does not name the budget: %s", got[0].Message)
	}
}

// TestCheckCredentialsCostlyHash: a hash beyond the work limits is skipped at once, not computed.
func TestCheckCredentialsCostlyHash(t *testing.T) {
	tr := unpack.NewTree("test", nil)
	addFile(t, tr, "etc/passwd", "root:x:0:0::/:/bin/sh\nadmin:x:1:1::/:/bin/sh\n")
	addFile(t, tr, "etc/shadow",
		"root:$6$rounds=999999999$salt$"+strings.Repeat("a", 86)+":::::::\n"+
			"admin:$2b$31$"+strings.Repeat("a", 53)+":::::::\n")
	if got := CheckCredentials(tr); len(got) != 0 {
		t.Errorf("findings %+v, want none", got)
	}
}

// TestCheckCredentialsToolHashes plants hashes made by mkpasswd, one per scheme.
func TestCheckCredentialsToolHashes(t *testing.T) {
	mk := testtool.Path(t, "mkpasswd")
	var passwd, shadow strings.Builder
	methods := [][]string{{"descrypt"}, {"bsdicrypt"}, {"md5crypt"}, {"sha256crypt", "-R", "1000"},
		{"sha512crypt", "-R", "1000"}, {"bcrypt", "-R", "5"}}
	for i, m := range methods {
		cmd := exec.Command(mk, append([]string{"-s", "-m"}, m...)...)
		cmd.Stdin = strings.NewReader("xmhdipc")
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("mkpasswd %v: %v", m, err)
		}
		name := "acct" + string(rune('a'+i))
		passwd.WriteString(name + ":x:100:100::/:/bin/sh\n")
		shadow.WriteString(name + ":" + strings.TrimSpace(string(out)) + ":::::::\n")
	}
	tr := unpack.NewTree("test", nil)
	addFile(t, tr, "etc/passwd", passwd.String())
	addFile(t, tr, "etc/shadow", shadow.String())
	n := 0
	for _, w := range CheckCredentials(tr) {
		if w.ID == "default-password" {
			n++
			if !strings.Contains(w.Evidence, `"xmhdipc"`) {
				t.Errorf("%d: %s", w.Line, w.Evidence)
			}
		}
	}
	if n != len(methods) {
		t.Errorf("%d default passwords found, want %d", n, len(methods))
	}
}

func TestParseAccountFiles(t *testing.T) {
	pw, errs := parsePasswd([]byte("root:x:0:0:root:/root:/bin/sh\r\n\n# c\n+nis\nbad:x:notanumber:0::/:/bin/sh\n:x:1:1::/:\nshort:\nnoshell:x:5\n"))
	wantPw := []passwdEntry{
		{Name: "root", Password: "x", UID: 0, Shell: "/bin/sh", Line: 1},
		{Name: "short", Password: "", UID: -1, Line: 7},
		{Name: "noshell", Password: "x", UID: 5, Line: 8},
	}
	if diff := cmp.Diff(wantPw, pw); diff != "" {
		t.Errorf("passwd (-want +got):\n%s", diff)
	}
	var lines []int
	for _, err := range errs {
		var ae *AccountFileError
		if !errors.As(err, &ae) {
			t.Fatalf("error %v is not an *AccountFileError", err)
		}
		lines = append(lines, ae.Line)
	}
	if diff := cmp.Diff([]int{5, 6}, lines); diff != "" {
		t.Errorf("error lines (-want +got):\n%s", diff)
	}

	sh, errs := parseShadow([]byte("root:$1$x$y:1::\nnocolon\n" + strings.Repeat("z", maxAccountLine+1) + "\nlast:!"))
	wantSh := []shadowEntry{{Name: "root", Password: "$1$x$y", Line: 1}, {Name: "last", Password: "!", Line: 4}}
	if diff := cmp.Diff(wantSh, sh); diff != "" {
		t.Errorf("shadow (-want +got):\n%s", diff)
	}
	if len(errs) != 2 || !strings.Contains(errs[1].Error(), "shadow:3: line length") {
		t.Errorf("errors %v, want two, the second about line 3's length", errs)
	}
}

func FuzzAccountFiles(f *testing.F) {
	f.Add([]byte("root:x:0:0:root:/root:/bin/sh\nadmin::1:1::/:/bin/sh\n"), []byte("root:$1$abc$"+strings.Repeat(".", 22)+":1:::::\nadmin::::::::\n"))
	f.Add([]byte("a:b\n\r\n:::\n#x\n+y\n"), []byte("!\n*:\nroot:!!\n"))
	f.Add([]byte("root:abmF1QH4PEr.E:0:0::/:/bin/sh"), []byte(""))
	f.Fuzz(func(t *testing.T, passwd, shadow []byte) {
		pw, _ := parsePasswd(passwd)
		for _, e := range pw {
			if e.Name == "" || e.Line < 1 {
				t.Fatalf("bad entry %+v", e)
			}
		}
		sh, _ := parseShadow(shadow)
		for _, e := range sh {
			if e.Name == "" || e.Line < 1 {
				t.Fatalf("bad entry %+v", e)
			}
		}
		tr := unpack.NewTree("fuzz", nil)
		addFile(t, tr, "etc/passwd", string(passwd))
		addFile(t, tr, "etc/shadow", string(shadow))
		for _, w := range checkCredentials(tr, 20) {
			if w.Rule != RuleCredentials || w.ID == "" || w.Severity == "" {
				t.Fatalf("bad finding %+v", w)
			}
		}
	})
}

func BenchmarkCheckCredentials(b *testing.B) {
	// A typical image: root with a strong default-rounds SHA-512 hash, so every default is tried.
	tr := unpack.NewTree("bench", nil)
	addFile(b, tr, "etc/passwd", "root:x:0:0::/root:/bin/sh\ndaemon:x:1:1::/:/bin/false\n")
	addFile(b, tr, "etc/shadow", "root:"+mustHash(b, "$6$benchsalt", "N0t-a-default!")+":::::::\ndaemon:*:::::::\n")
	for b.Loop() {
		if got := CheckCredentials(tr); len(got) != 0 {
			b.Fatal(got)
		}
	}
}
