package labnet

import (
	"bufio"
	"crypto/tls"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// checkUpdate checks the truth about the device's update client: its check request reaches the
// tester's address with the version the truth names, over TLS with the identity the truth says
// it trusts; and, for the signed client, openssl accepts that identity under the update CA and
// the genuine image's signature, and rejects an image with one byte changed.
func checkUpdate(t *testing.T, l *Lab) {
	u := l.Truth.Update
	if u == nil {
		t.Fatal("no update client in the truth")
	}
	ln, err := net.Listen("tcp", u.Listen)
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	if u.TLS {
		cert, err := tls.LoadX509KeyPair(u.CertFile, u.KeyFile)
		if err != nil {
			t.Fatal(err)
		}
		ln = tls.NewListener(ln, &tls.Config{Certificates: []tls.Certificate{cert}})
	}
	got := make(chan string, 1)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.SetDeadline(time.Now().Add(5 * time.Second))
			line, err := bufio.NewReader(c).ReadString('\n')
			c.Close()
			if err == nil {
				got <- strings.TrimSpace(line)
				return
			}
		}
	}()
	select {
	case line := <-got:
		if want := "GET /" + strings.Split(u.Image, "/")[1] + "/check?current=" + u.Current + " HTTP/1.1"; line != want {
			t.Errorf("update check %q, want %q", line, want)
		}
	case <-time.After(3*u.Every + 5*time.Second):
		t.Fatalf("no update check reached %s within %s", u.Listen, 3*u.Every+5*time.Second)
	}
	if !u.VerifiesImage {
		return
	}
	requireTool(t, "openssl")
	if out, err := exec.Command("openssl", "verify", "-CAfile", filepath.Join(l.Dir, "update-ca.crt"), u.CertFile).CombinedOutput(); err != nil {
		t.Errorf("openssl verify of the update server certificate: %v: %s", err, out)
	}
	image := filepath.Join(u.Dir, u.Image)
	verify := func(img string) error {
		return exec.Command("openssl", "dgst", "-sha256", "-verify", filepath.Join(l.Dir, "update-signing.pub"), "-signature", image+".sig", img).Run()
	}
	if err := verify(image); err != nil {
		t.Errorf("openssl rejects the genuine image's signature: %v", err)
	}
	b, err := os.ReadFile(image)
	if err != nil {
		t.Fatal(err)
	}
	b[len(b)/2] ^= 0xff
	altered := filepath.Join(t.TempDir(), "altered.bin")
	if err := os.WriteFile(altered, b, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := verify(altered); err == nil {
		t.Error("openssl accepts the signature on an altered image")
	}
}
