package labnet

import (
	"bytes"
	"errors"
	"io"
	"net"
	"net/http"
	"net/netip"
	"regexp"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/dns/dnsmessage"
)

// dnsQuery sends one query over UDP and returns the answer, or an error on timeout.
func dnsQuery(addr netip.Addr, name string, typ dnsmessage.Type, class dnsmessage.Class) (*dnsmessage.Message, error) {
	q := dnsmessage.Message{
		Header:    dnsmessage.Header{ID: 0x5e61, RecursionDesired: true},
		Questions: []dnsmessage.Question{{Name: dnsmessage.MustNewName(name), Type: typ, Class: class}},
	}
	b, err := q.Pack()
	if err != nil {
		return nil, err
	}
	c, err := net.Dial("udp", net.JoinHostPort(addr.String(), "53"))
	if err != nil {
		return nil, err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(3 * time.Second))
	if _, err := c.Write(b); err != nil {
		return nil, err
	}
	buf := make([]byte, 1500)
	n, err := c.Read(buf)
	if err != nil {
		return nil, err
	}
	var m dnsmessage.Message
	if err := m.Unpack(buf[:n]); err != nil {
		return nil, err
	}
	return &m, nil
}

// checkDNS asks the device, from every side, to resolve a name only the upstream resolver
// knows: it must answer (recursively, with the upstream's address) where the truth says DNS is
// open, and stay silent where a firewall drops it. version.bind must name the product.
func checkDNS(t *testing.T, l *Lab) {
	for _, side := range Sides {
		open := containsInt(l.Truth.Open[side].UDP, 53)
		m, err := dnsQuery(l.Address(side), "www.example.com.", dnsmessage.TypeA, dnsmessage.ClassINET)
		switch {
		case !open && err == nil:
			t.Errorf("%s: DNS answered (%v), truth says it is closed", side, m.Header)
		case !open:
			var ne net.Error
			if !errors.As(err, &ne) || !ne.Timeout() {
				t.Errorf("%s: DNS query failed with %v, want silence (dropped)", side, err)
			}
		case err != nil:
			t.Errorf("%s: DNS query: %v", side, err)
		default:
			if !m.Header.RecursionAvailable || len(m.Answers) == 0 {
				t.Errorf("%s: no recursive answer: %+v", side, m)
				continue
			}
			a, ok := m.Answers[0].Body.(*dnsmessage.AResource)
			want := netip.AddrFrom4([4]byte{198, 19, byte(l.topo.index), 80})
			if !ok || netip.AddrFrom4(a.A) != want {
				t.Errorf("%s: answer %v, want %s from the upstream resolver", side, m.Answers[0].Body, want)
			}
		}
	}
	if r := l.Truth.OpenResolver; r != nil {
		if r.Answer != netip.AddrFrom4([4]byte{198, 19, byte(l.topo.index), 80}) {
			t.Errorf("truth answer %s", r.Answer)
		}
		m, err := dnsQuery(l.WAN, "version.bind.", dnsmessage.TypeTXT, dnsmessage.ClassCHAOS)
		if err != nil {
			t.Fatalf("version.bind: %v", err)
		}
		if len(m.Answers) == 0 {
			t.Fatalf("version.bind: no answer")
		}
		txt, ok := m.Answers[0].Body.(*dnsmessage.TXTResource)
		if !ok || strings.Join(txt.TXT, "") != r.VersionBind {
			t.Errorf("version.bind = %v, truth %q", m.Answers[0].Body, r.VersionBind)
		}
	}
}

// checkUPnP sends an SSDP search to the device's WAN address and fetches the description the
// answer points to: the IGD must answer there when the truth says UPnP is on the WAN side.
func checkUPnP(t *testing.T, l *Lab) {
	c, err := net.Dial("udp", net.JoinHostPort(l.WAN.String(), "1900"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(5 * time.Second))
	search := "M-SEARCH * HTTP/1.1\r\nHOST: 239.255.255.250:1900\r\nMAN: \"ssdp:discover\"\r\nMX: 1\r\n" +
		"ST: urn:schemas-upnp-org:device:InternetGatewayDevice:1\r\n\r\n"
	if _, err := c.Write([]byte(search)); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 2048)
	n, err := c.Read(buf)
	if !l.Truth.UPnPOnWAN {
		if err == nil {
			t.Errorf("SSDP answered on the WAN side: %q", buf[:n])
		}
		return
	}
	if err != nil {
		t.Fatalf("no SSDP answer on the WAN side: %v", err)
	}
	loc := regexp.MustCompile(`(?im)^location:\s*(\S+)`).FindSubmatch(buf[:n])
	if loc == nil {
		t.Fatalf("SSDP answer without LOCATION: %q", buf[:n])
	}
	u := string(loc[1])
	if !strings.Contains(u, l.WAN.String()) {
		t.Errorf("LOCATION %s does not point at the WAN address %s", u, l.WAN)
	}
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode != 200 || !bytes.Contains(body, []byte("urn:schemas-upnp-org:device:InternetGatewayDevice:")) {
		t.Errorf("description at %s: status %d, %d bytes without the IGD device type", u, resp.StatusCode, len(body))
	}
}
