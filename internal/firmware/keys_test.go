package firmware

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/binary"
	"encoding/pem"
	"math/big"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/siegel-oss/siegel/internal/testtool"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/crypto/ssh"

	"github.com/siegel-oss/siegel/internal/firmware/unpack"
)

type keysRow struct {
	Path   string
	Line   int
	Offset int64
	ID     string
	Sev    string
}

func keysRows(ws []Weakness) []keysRow {
	var rows []keysRow
	for _, w := range ws {
		rows = append(rows, keysRow{w.Path, w.Line, w.Offset, w.ID, w.Severity})
	}
	return rows
}

func keysPEM(typ string, der []byte) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der})
}

// keysDropbear encodes a key in Dropbear's private key file format.
func keysDropbear(t *testing.T, key crypto.PrivateKey) []byte {
	t.Helper()
	var b bytes.Buffer
	str := func(s []byte) {
		_ = binary.Write(&b, binary.BigEndian, uint32(len(s)))
		b.Write(s)
	}
	mp := func(n *big.Int) {
		s := n.Bytes()
		if len(s) > 0 && s[0]&0x80 != 0 {
			s = append([]byte{0}, s...)
		}
		str(s)
	}
	switch k := key.(type) {
	case *rsa.PrivateKey:
		str([]byte("ssh-rsa"))
		mp(big.NewInt(int64(k.E)))
		mp(k.N)
		mp(k.D)
		mp(k.Primes[0])
		mp(k.Primes[1])
	case ed25519.PrivateKey:
		str([]byte("ssh-ed25519"))
		str(k)
	case *ecdsa.PrivateKey:
		str([]byte("ecdsa-sha2-nistp256"))
		str([]byte("nistp256"))
		pub, _ := k.PublicKey.Bytes()
		str(pub)
		mp(k.D)
	default:
		t.Fatalf("no Dropbear encoding for %T", key)
	}
	return b.Bytes()
}

func keysSPKI(t *testing.T, pub crypto.PublicKey) string {
	t.Helper()
	s := keyFingerprints(pub)
	if !strings.Contains(s, "SPKI") {
		t.Fatalf("no SPKI fingerprint for %T", pub)
	}
	return s
}

func TestCheckKeys(t *testing.T) {
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	ecKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	_, edKey, _ := ed25519.GenerateKey(rand.Reader)

	pkcs1 := x509.MarshalPKCS1PrivateKey(rsaKey)
	sec1, _ := x509.MarshalECPrivateKey(ecKey)
	pkcs8EC, _ := x509.MarshalPKCS8PrivateKey(ecKey)
	pkcs8Ed, _ := x509.MarshalPKCS8PrivateKey(edKey)
	opensshBlock, err := ssh.MarshalPrivateKey(edKey, "root@device")
	if err != nil {
		t.Fatal(err)
	}
	encBlock, err := ssh.MarshalPrivateKeyWithPassphrase(ecKey, "", []byte("secret"))
	if err != nil {
		t.Fatal(err)
	}
	pubDER, _ := x509.MarshalPKIXPublicKey(&rsaKey.PublicKey)
	sshPub, _ := ssh.NewPublicKey(&rsaKey.PublicKey)

	blob := make([]byte, 4096)
	for i := range blob {
		blob[i] = byte(i * 7) // deterministic filler, with 0x02 0x01 pairs here and there
	}
	copy(blob[1000:], pkcs1)
	copy(blob[3000:], sec1)
	blob2 := append(bytes.Repeat([]byte{0x30, 0x82, 0x02, 0x01, 0x00, 0x02}, 50), pkcs8EC...)

	validCert := keysCert(t, ecKey)
	tr := unpack.NewTree("test", nil)
	for _, e := range []unpack.Entry{
		{Path: "etc/ssl/private/server.key", Mode: 0o600, Data: keysPEM("RSA PRIVATE KEY", pkcs1)},
		{Path: "usr/bin/setup.sh", Mode: 0o755, Data: append([]byte("#!/bin/sh\ncat > /tmp/k <<EOF\n"), append(keysPEM("EC PRIVATE KEY", sec1), "EOF\n"...)...)},
		{Path: "etc/ed.pem", Mode: 0o600, Data: keysPEM("PRIVATE KEY", pkcs8Ed)},
		{Path: "etc/ssh/ssh_host_ed25519_key", Mode: 0o600, Data: pem.EncodeToMemory(opensshBlock)},
		{Path: "root/.ssh/id_ecdsa", Mode: 0o600, Data: pem.EncodeToMemory(encBlock)},
		{Path: "usr/lib/libcloud.so", Mode: 0o755, Data: blob},
		{Path: "usr/lib/libagent.so", Mode: 0o755, Data: blob2},
		{Path: "etc/dropbear/dropbear_rsa_host_key", Mode: 0o600, Data: keysDropbear(t, rsaKey)},
		{Path: "etc/dropbear/dropbear_ed25519_host_key", Mode: 0o600, Data: keysDropbear(t, edKey)},
		{Path: "etc/dropbear/dropbear_ecdsa_host_key", Mode: 0o600, Data: keysDropbear(t, ecKey)},
		// Negative controls.
		{Path: "etc/ssl/certs/ca-certificates.crt", Mode: 0o644, Data: bytes.Repeat(validCert, 3)},
		{Path: "etc/ssl/server.pub", Mode: 0o644, Data: keysPEM("PUBLIC KEY", pubDER)},
		{Path: "root/.ssh/authorized_keys", Mode: 0o600, Data: ssh.MarshalAuthorizedKey(sshPub)},
		{Path: "usr/bin/example.sh", Mode: 0o755, Data: []byte("#!/bin/sh\n# -----BEGIN RSA PRIVATE KEY-----\n# " +
			strings.Join(strings.Split(string(keysPEM("X", pkcs1)), "\n")[1:4], "\n# ") + "\n# -----END RSA PRIVATE KEY-----\n")},
		{Path: "usr/share/doc/howto.txt", Mode: 0o644, Data: []byte("Put your key here:\n-----BEGIN PRIVATE KEY-----\nYOUR KEY HERE\n-----END PRIVATE KEY-----\n")},
		{Path: "etc/truncated.pem", Mode: 0o600, Data: keysPEM("RSA PRIVATE KEY", pkcs1)[:300]},
		{Path: "etc/bad-encrypted.pem", Mode: 0o600, Data: keysPEM("ENCRYPTED PRIVATE KEY", []byte("not ASN.1 at all"))},
		{Path: "usr/lib/libcrypto.so", Mode: 0o755, Data: []byte("\x7fELF...-----BEGIN %s PRIVATE KEY-----\x00-----BEGIN PRIVATE KEY-----\x00")},
	} {
		if err := tr.Add(e); err != nil {
			t.Fatal(err)
		}
	}
	got := CheckKeys(tr)
	want := []keysRow{
		{"etc/dropbear/dropbear_ecdsa_host_key", 0, 0, "dropbear-host-key", "high"},
		{"etc/dropbear/dropbear_ed25519_host_key", 0, 0, "dropbear-host-key", "high"},
		{"etc/dropbear/dropbear_rsa_host_key", 0, 0, "dropbear-host-key", "high"},
		{"etc/ed.pem", 1, 0, "private-key", "high"},
		{"etc/ssh/ssh_host_ed25519_key", 1, 0, "ssh-host-key", "high"},
		{"etc/ssl/private/server.key", 1, 0, "private-key", "high"},
		{"root/.ssh/id_ecdsa", 1, 0, "encrypted-private-key", "medium"},
		{"usr/bin/setup.sh", 3, 29, "private-key", "high"},
		{"usr/lib/libagent.so", 0, 300, "private-key", "high"},
		{"usr/lib/libcloud.so", 0, 1000, "private-key", "high"},
		{"usr/lib/libcloud.so", 0, 3000, "private-key", "high"},
	}
	if diff := cmp.Diff(want, keysRows(got)); diff != "" {
		t.Fatalf("(-want +got):\n%s", diff)
	}
	fp := map[string]string{}
	for _, w := range got {
		fp[w.Path+"@"+string(rune('0'+w.Offset/1000))] = w.Evidence
		if w.Rule != "private-key" || len(w.Requirements) == 0 || w.Message == "" {
			t.Errorf("incomplete weakness %+v", w)
		}
	}
	rsaFP, ecFP, edFP := keysSPKI(t, &rsaKey.PublicKey), keysSPKI(t, &ecKey.PublicKey), keysSPKI(t, edKey.Public())
	for where, wantFP := range map[string]string{
		"etc/ssl/private/server.key@0":             rsaFP,
		"etc/dropbear/dropbear_rsa_host_key@0":     rsaFP,
		"usr/lib/libcloud.so@1":                    rsaFP,
		"usr/bin/setup.sh@0":                       ecFP,
		"usr/lib/libcloud.so@3":                    ecFP,
		"usr/lib/libagent.so@0":                    ecFP,
		"etc/dropbear/dropbear_ecdsa_host_key@0":   ecFP,
		"root/.ssh/id_ecdsa@0":                     ecFP,
		"etc/ed.pem@0":                             edFP,
		"etc/ssh/ssh_host_ed25519_key@0":           edFP,
		"etc/dropbear/dropbear_ed25519_host_key@0": edFP,
	} {
		if !strings.Contains(fp[where], wantFP) {
			t.Errorf("%s: evidence %q lacks %q", where, fp[where], wantFP)
		}
	}
	if !strings.HasPrefix(fp["etc/ssl/private/server.key@0"], "RSA 2048-bit ") {
		t.Errorf("RSA key not described: %q", fp["etc/ssl/private/server.key@0"])
	}
}

func keysCert(t *testing.T, key *ecdsa.PrivateKey) []byte {
	t.Helper()
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return keysPEM("CERTIFICATE", der)
}

// TestCheckKeysRealTools reads keys written by ssh-keygen and dropbearkey and compares the SSH
// fingerprint with the one the tools print.
func TestCheckKeysRealTools(t *testing.T) {
	dir := t.TempDir()
	type gen struct {
		tool  string
		args  []string
		file  string
		print []string // command printing the fingerprint
	}
	gens := []gen{
		{"ssh-keygen", []string{"-q", "-t", "rsa", "-b", "2048", "-m", "PEM", "-N", "", "-f"}, "ssh_host_rsa_key", []string{"ssh-keygen", "-l", "-E", "sha256", "-f"}},
		{"ssh-keygen", []string{"-q", "-t", "ed25519", "-N", "", "-f"}, "ssh_host_ed25519_key", []string{"ssh-keygen", "-l", "-E", "sha256", "-f"}},
		{"ssh-keygen", []string{"-q", "-t", "ecdsa", "-m", "PKCS8", "-N", "", "-f"}, "ssh_host_ecdsa_key", []string{"ssh-keygen", "-l", "-E", "sha256", "-f"}},
		{"dropbearkey", []string{"-t", "rsa", "-s", "2048", "-f"}, "dropbear_rsa_host_key", []string{"dropbearkey", "-y", "-f"}},
		{"dropbearkey", []string{"-t", "ed25519", "-f"}, "dropbear_ed25519_host_key", []string{"dropbearkey", "-y", "-f"}},
		{"dropbearkey", []string{"-t", "ecdsa", "-s", "384", "-f"}, "dropbear_ecdsa_host_key", []string{"dropbearkey", "-y", "-f"}},
	}
	fpRE := regexp.MustCompile(`SHA256:[A-Za-z0-9+/]+`)
	for _, g := range gens {
		t.Run(g.file, func(t *testing.T) {
			testtool.Path(t, g.tool)
			p := filepath.Join(dir, g.file)
			if out, err := exec.Command(g.tool, append(g.args, p)...).CombinedOutput(); err != nil {
				t.Fatalf("%s: %v\n%s", g.tool, err, out)
			}
			out, err := exec.Command(g.print[0], append(g.print[1:], p)...).CombinedOutput()
			if err != nil {
				t.Fatalf("%v: %v\n%s", g.print, err, out)
			}
			wantFP := fpRE.FindString(string(out))
			if wantFP == "" {
				t.Fatalf("no SHA256 fingerprint in %q", out)
			}
			data, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			tr := unpack.NewTree("test", nil)
			if err := tr.Add(unpack.Entry{Path: "etc/" + g.file, Mode: 0o600, Data: data}); err != nil {
				t.Fatal(err)
			}
			got := CheckKeys(tr)
			if len(got) != 1 || !strings.Contains(got[0].Evidence, wantFP) || !strings.HasSuffix(got[0].ID, "host-key") {
				t.Fatalf("want one host key with %s, got %+v", wantFP, got)
			}
		})
	}
}

func FuzzCheckKeys(f *testing.F) {
	_, edKey, _ := ed25519.GenerateKey(bytes.NewReader(make([]byte, 64)))
	pkcs8, _ := x509.MarshalPKCS8PrivateKey(edKey)
	f.Add(keysPEM("PRIVATE KEY", pkcs8))
	f.Add(append([]byte{0x30, 0x2e}, pkcs8[2:]...))
	f.Add([]byte("\x00\x00\x00\x0bssh-ed25519\x00\x00\x00\x40"))
	f.Add([]byte("-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n-----END OPENSSH PRIVATE KEY-----\n"))
	f.Add([]byte("\x00\x00\x00\x07ssh-rsa\x00\x00\x00\x01\x03\x00\x00\x00\x02\x00\xc5"))
	f.Fuzz(func(t *testing.T, data []byte) {
		tr := unpack.NewTree("fuzz", nil)
		_ = tr.Add(unpack.Entry{Path: "k", Mode: 0o600, Data: data})
		for _, w := range CheckKeys(tr) {
			if w.Offset < 0 || w.Offset >= int64(len(data)) {
				t.Fatalf("offset %d outside %d bytes", w.Offset, len(data))
			}
		}
		_ = mayHoldPrivateKey(tr.Entry("k"))
	})
}

func TestCheckCertificates(t *testing.T) {
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	cert := func(cn string, notAfter time.Time) []byte {
		tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: cn},
			NotBefore: notAfter.AddDate(-1, 0, 0), NotAfter: notAfter}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
		if err != nil {
			t.Fatal(err)
		}
		return keysPEM("CERTIFICATE", der)
	}
	now := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	tr := unpack.NewTree("test", nil)
	for _, e := range []unpack.Entry{
		{Path: "etc/ssl/device.pem", Mode: 0o644, Data: append(append([]byte("# device\n"), cert("device", now.AddDate(1, 0, 0))...), cert("old", now.AddDate(-1, 0, 0))...)},
		{Path: "etc/ssl/certs/ca-certificates.crt", Mode: 0o644, Data: cert("some CA", now.AddDate(-1, 0, 0))},
		{Path: "etc/broken.pem", Mode: 0o644, Data: []byte("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n")},
	} {
		if err := tr.Add(e); err != nil {
			t.Fatal(err)
		}
	}
	got := CheckCertificates(tr, now)
	type row struct {
		Path    string
		Line    int
		ID, Sev string
		HasSPKI bool
	}
	var rows []row
	for _, w := range got {
		rows = append(rows, row{w.Path, w.Line, w.ID, w.Severity, strings.Contains(w.Evidence, keyFingerprints(&key.PublicKey))})
	}
	want := []row{
		{"etc/ssl/device.pem", 2, "embedded-certificate", "info", true},
		{"etc/ssl/device.pem", 2 + bytes.Count(cert("device", now), []byte("\n")), "expired-certificate", "low", true},
	}
	if diff := cmp.Diff(want, rows); diff != "" {
		t.Fatalf("(-want +got):\n%s", diff)
	}
}
