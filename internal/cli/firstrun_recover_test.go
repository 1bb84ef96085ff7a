package cli

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/siegel-oss/siegel/internal/store"
)

// A first start that fails after creating the administrator (here: the port is taken) keeps the
// password in a 0600 file of the data directory; 'siegel user passwd' resets it from the machine;
// the first login removes the file.
func TestFirstStartRecoverable(t *testing.T) {
	data := t.TempDir()
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	var out, errOut bytes.Buffer
	noEnv := func(string) string { return "" }
	if code := Run(t.Context(), []string{"serve", "--addr", taken.Addr().String(), "--data", data, "--org", "ACME", "--db-source", "../vulndb/testdata/osv"},
		strings.NewReader(""), &out, &errOut, noEnv); code == 0 {
		t.Fatal("serve on a taken port exited 0")
	}
	file := filepath.Join(data, InitialPasswordFile)
	fi, err := os.Stat(file)
	if err != nil {
		t.Fatalf("the first run's password was not kept: %v\nstdout %s\nstderr %s", err, out.String(), errOut.String())
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("%s has mode %v, want 0600", file, fi.Mode().Perm())
	}
	kept, _ := os.ReadFile(file)
	lines := strings.Split(strings.TrimSpace(string(kept)), "\n")
	if len(lines) != 3 || lines[1] != "admin@localhost" || len(lines[2]) < 12 {
		t.Fatalf("kept credentials %q", kept)
	}
	st, err := store.OpenSQLite(t.Context(), data, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := st.Login(t.Context(), "admin@localhost", lines[2], 1); err != nil {
		t.Errorf("the kept password does not log in: %v", err)
	}
	st.Close()

	// The reset from the machine.
	out.Reset()
	if code := Run(t.Context(), []string{"user", "passwd", "--data", data, "--email", "admin@localhost", "--password-stdin"},
		strings.NewReader("correct horse battery staple\n"), &out, &errOut, noEnv); code != 0 {
		t.Fatalf("user passwd: exit %d: %s", code, errOut.String())
	}
	if code := Run(t.Context(), []string{"user", "passwd", "--data", data, "--email", "nobody@localhost", "--password-stdin"},
		strings.NewReader("correct horse battery staple\n"), &out, &errOut, noEnv); code != ExitError {
		t.Errorf("user passwd of an unknown user: exit %d", code)
	}

	// The server starts; the first login removes the kept password.
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	pr, pw := io.Pipe()
	done := make(chan int, 1)
	go func() {
		done <- Run(ctx, []string{"serve", "--addr", "127.0.0.1:0", "--data", data, "--org", "ACME", "--db-source", "../vulndb/testdata/osv"},
			strings.NewReader(""), pw, io.Discard, noEnv)
		pw.Close()
	}()
	r := bufio.NewReader(pr)
	line, err := r.ReadString('\n')
	if err != nil {
		t.Fatalf("server did not start: %v", err)
	}
	go io.Copy(io.Discard, r)
	base := strings.TrimSpace(strings.TrimPrefix(line, "siegel serving on "))
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	if resp, err := client.PostForm(base+"/login", url.Values{"email": {"admin@localhost"}, "password": {lines[2]}}); err != nil || resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("the old password after the reset: %v %v", resp, err)
	}
	if _, err := os.Stat(file); err != nil {
		t.Errorf("a failed login removed the kept password: %v", err)
	}
	resp, err := client.PostForm(base+"/login", url.Values{"email": {"admin@localhost"}, "password": {"correct horse battery staple"}})
	if err != nil || resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("login with the new password: %v %v", resp, err)
	}
	if _, err := os.Stat(file); !os.IsNotExist(err) {
		t.Errorf("the kept password is still there after the first login: %v", err)
	}
	cancel()
	<-done
}
