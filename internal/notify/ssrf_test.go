package notify

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"strings"
	"testing"
	"time"
)

// loopbackClient reaches the test receivers, which listen on 127.0.0.1: the administrator's
// explicit allowance, as siegel serve --webhook-allow 127.0.0.0/8 gives it.
var loopbackClient = AddressPolicy{Allow: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}}.Client(10 * time.Second)

func TestAddressPolicyCheck(t *testing.T) {
	refused := []string{
		"127.0.0.1", "127.255.0.1", "::1", "0.0.0.0", "::", "10.1.2.3", "172.16.0.1", "172.31.255.255",
		"192.168.1.1", "169.254.169.254", "169.254.1.1", "fe80::1", "fc00::1", "fd00:ec2::254", "224.0.0.1",
		"ff02::1", "100.100.100.200", "255.255.255.255", "::ffff:127.0.0.1", "::ffff:10.0.0.1",
		"64:ff9b::a9fe:a9fe", // NAT64 of 169.254.169.254
		"0.1.2.3", "198.18.0.1",
	}
	for _, a := range refused {
		err := AddressPolicy{}.Check(netip.MustParseAddr(a))
		if !errors.Is(err, ErrAddressRefused) {
			t.Errorf("%s: err = %v, want refused", a, err)
		}
	}
	allowed := []string{"93.184.215.14", "1.1.1.1", "2606:4700:4700::1111", "172.32.0.1", "64:ff9b::5db8:d70e"}
	for _, a := range allowed {
		if err := (AddressPolicy{}).Check(netip.MustParseAddr(a)); err != nil {
			t.Errorf("%s: %v, want allowed", a, err)
		}
	}
	p := AddressPolicy{Allow: []netip.Prefix{netip.MustParsePrefix("10.20.0.0/16")}}
	if err := p.Check(netip.MustParseAddr("10.20.3.4")); err != nil {
		t.Errorf("allowed range: %v", err)
	}
	if err := p.Check(netip.MustParseAddr("10.21.3.4")); err == nil {
		t.Error("10.21.3.4 is outside the allowed range but was allowed")
	}
}

func TestAddressPolicyCheckURL(t *testing.T) {
	for _, u := range []string{"http://127.0.0.1:8080/x", "http://localhost/x", "https://LOCALHOST./x", "http://[::1]/", "http://169.254.169.254/latest/meta-data/", "http://api.localhost/", "ftp://example.com/", "/relative"} {
		if err := (AddressPolicy{}).CheckURL(u); err == nil {
			t.Errorf("%s was accepted", u)
		}
	}
	for _, u := range []string{"https://hooks.example.com/x", "http://93.184.215.14/"} {
		if err := (AddressPolicy{}).CheckURL(u); err != nil {
			t.Errorf("%s: %v", u, err)
		}
	}
}

// TestWebhookRefusesInternalAddresses connects for real: by default a receiver on the loopback
// interface is never contacted, also when reached through a name that resolves to it (the
// check runs on the resolved address), and the error is permanent. With the range allowed the
// same delivery goes through.
func TestWebhookRefusesInternalAddresses(t *testing.T) {
	hits := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits++
		w.WriteHeader(http.StatusNoContent)
	}))
	defer srv.Close()
	_, port, _ := net.SplitHostPort(strings.TrimPrefix(srv.URL, "http://"))
	for _, target := range []string{srv.URL, "http://localhost:" + port} {
		err := Webhook{URL: target + "/hook", Secret: []byte("k")}.Deliver(context.Background(), testEvent())
		if !errors.Is(err, ErrAddressRefused) || !Permanent(err) {
			t.Errorf("%s: err = %v, want a permanent refusal", target, err)
		}
	}
	if hits != 0 {
		t.Fatalf("the receiver was contacted %d times", hits)
	}
	if err := (Webhook{URL: srv.URL + "/hook", Secret: []byte("k"), Client: loopbackClient}).Deliver(context.Background(), testEvent()); err != nil {
		t.Fatalf("allowed range: %v", err)
	}
	if hits != 1 {
		t.Errorf("hits = %d, want 1", hits)
	}
}

func TestWithoutReply(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "internal secret 42", http.StatusBadGateway)
	}))
	defer srv.Close()
	err := Webhook{URL: srv.URL, Secret: []byte("k"), Client: loopbackClient}.Deliver(context.Background(), testEvent())
	if err == nil || !strings.Contains(err.Error(), "internal secret 42") {
		t.Fatalf("err = %v, want the reply quoted for administrators", err)
	}
	short := WithoutReply(err.Error())
	if strings.Contains(short, "secret") || !strings.Contains(short, "502") {
		t.Errorf("WithoutReply = %q, want the status without the reply", short)
	}
}

func TestParsePrefixes(t *testing.T) {
	got, err := ParsePrefixes([]string{"10.0.0.0/8, 192.168.1.7", "fd00::/8"})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"10.0.0.0/8", "192.168.1.7/32", "fd00::/8"}
	if len(got) != len(want) {
		t.Fatalf("got %v", got)
	}
	for i := range want {
		if got[i].String() != want[i] {
			t.Errorf("%d: %s, want %s", i, got[i], want[i])
		}
	}
	if _, err := ParsePrefixes([]string{"10.0.0.0/33"}); err == nil {
		t.Error("10.0.0.0/33 accepted")
	}
}

// FuzzCheckURL: any URL is either refused or names no refused address literally, without panic.
func FuzzCheckURL(f *testing.F) {
	for _, s := range []string{"http://127.0.0.1/", "http://[::ffff:127.0.0.1]/", "https://example.com/x", "http://[fe80::1%25eth0]/", "http://0x7f.1/"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		err := AddressPolicy{}.CheckURL(raw)
		if err != nil {
			return
		}
		u, _ := url.Parse(raw)
		if ip, perr := netip.ParseAddr(u.Hostname()); perr == nil {
			if (AddressPolicy{}).Check(ip) != nil {
				t.Fatalf("%q accepted with the refused address %s", raw, ip)
			}
		}
	})
}
