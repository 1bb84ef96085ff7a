// Package ledgertest provides a real RFC 3161 time-stamping authority for tests.
package ledgertest

import (
	"crypto/x509"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/siegel-oss/siegel/internal/testtool"
)

// OpenSSLTSA runs a real RFC 3161 time-stamping authority: OpenSSL's `ts -reply` with a CA and a
// TSA certificate made here, behind an HTTP handler. It returns the server, the CA roots
// and the PEM file that holds them. Without openssl the test skips, unless
// SIEGEL_TEST_FIRMWARE_TOOLS_REQUIRED=1 (CI installs the tools).
func OpenSSLTSA(t *testing.T) (srv *httptest.Server, roots *x509.CertPool, rootsFile string) {
	t.Helper()
	openssl := testtool.Path(t, "openssl")
	dir := t.TempDir()
	run := func(args ...string) {
		t.Helper()
		cmd := exec.Command(openssl, args...)
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("openssl %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
	write := func(name, body string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("ca.cnf", "[req]\ndistinguished_name=dn\n[dn]\n[ext]\nbasicConstraints=critical,CA:true\nkeyUsage=critical,keyCertSign\n")
	run("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", "ca.key", "-out", "ca.crt",
		"-days", "3650", "-subj", "/CN=Siegel Test TSA Root", "-config", "ca.cnf", "-extensions", "ext")
	run("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", "tsa.key", "-out", "tsa.csr", "-subj", "/CN=Siegel Test TSA", "-config", "ca.cnf")
	write("tsa-ext.cnf", "extendedKeyUsage=critical,timeStamping\nkeyUsage=critical,digitalSignature\n")
	run("x509", "-req", "-in", "tsa.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial", "-out", "tsa.crt", "-days", "3650", "-extfile", "tsa-ext.cnf")
	write("tsaserial", "01\n")
	write("tsa.cnf", `[tsa]
default_tsa = t
[t]
dir = .
serial = ./tsaserial
crypto_device = builtin
signer_cert = ./tsa.crt
signer_key = ./tsa.key
certs = ./ca.crt
signer_digest = sha256
default_policy = 1.3.6.1.4.1.99999.1
digests = sha256
accuracy = secs:1
ordering = no
tsa_name = no
ess_cert_id_chain = no
ess_cert_id_alg = sha256
`)
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q, _ := io.ReadAll(r.Body)
		tmp := t.TempDir()
		os.WriteFile(filepath.Join(tmp, "q.tsq"), q, 0o644)
		cmd := exec.Command(openssl, "ts", "-reply", "-config", "tsa.cnf", "-queryfile", filepath.Join(tmp, "q.tsq"), "-out", filepath.Join(tmp, "r.tsr"))
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err != nil {
			http.Error(w, string(out), http.StatusInternalServerError)
			return
		}
		resp, _ := os.ReadFile(filepath.Join(tmp, "r.tsr"))
		w.Header().Set("Content-Type", "application/timestamp-reply")
		w.Write(resp)
	}))
	t.Cleanup(srv.Close)
	pemData, _ := os.ReadFile(filepath.Join(dir, "ca.crt"))
	roots = x509.NewCertPool()
	roots.AppendCertsFromPEM(pemData)
	return srv, roots, filepath.Join(dir, "ca.crt")
}
