package lab

import (
	"bufio"
	"bytes"
	"encoding/asn1"
	"encoding/binary"
	"strings"
	"testing"

	"golang.org/x/net/dns/dnsmessage"
)

// kexinitPayload builds a KEXINIT payload from name lists.
func kexinitPayload(lists ...string) []byte {
	b := append([]byte{20}, make([]byte, 16)...)
	for _, l := range lists {
		b = binary.BigEndian.AppendUint32(b, uint32(len(l)))
		b = append(b, l...)
	}
	return append(b, 0, 0, 0, 0, 0)
}

func TestParseKexInit(t *testing.T) {
	full := []string{"curve25519-sha256,diffie-hellman-group1-sha1", "ssh-ed25519,ssh-dss", "aes128-ctr,3des-cbc", "aes128-ctr", "hmac-sha2-256", "hmac-sha2-256", "none", "none", "", ""}
	k, err := ParseKexInit(kexinitPayload(full...))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(k.Kex, ",") != full[0] || strings.Join(k.HostKey, ",") != full[1] || strings.Join(k.CiphersCS, ",") != full[2] || len(k.LangSC) != 0 {
		t.Errorf("got %+v", k)
	}
	for _, tc := range []struct {
		name string
		b    []byte
		want string
	}{
		{"empty", nil, "empty payload"},
		{"wrong type", append([]byte{21}, make([]byte, 40)...), "message type 21"},
		{"truncated list", kexinitPayload(full...)[:30], "exceeds the 9 bytes left"},
		{"list too long", append(append([]byte{20}, make([]byte, 16)...), 0, 0, 0xff, 0xff, 'a'), "kex_algorithms at offset 17: length 65535"},
		{"bad name", kexinitPayload(append([]string{"a,,b"}, full[1:]...)...), "bad algorithm name"},
		{"no trailer", kexinitPayload(full...)[:len(kexinitPayload(full...))-5], "first_kex_packet_follows"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := ParseKexInit(tc.b); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("got %v, want %q", err, tc.want)
			}
		})
	}
}

func TestReadSSHPacketLimits(t *testing.T) {
	for _, tc := range []struct {
		name string
		b    []byte
		want string
	}{
		{"huge length", []byte{0x7f, 0xff, 0xff, 0xff, 4}, "outside"},
		{"padding too big", []byte{0, 0, 0, 8, 9}, "padding"},
		{"short body", []byte{0, 0, 0, 12, 4, 20}, "body"},
	} {
		if _, err := ReadSSHPacket(bytes.NewReader(tc.b)); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: got %v, want %q", tc.name, err, tc.want)
		}
	}
	if _, err := ReadSSHIdent(bufio.NewReader(strings.NewReader(strings.Repeat("x", 300) + "\n"))); err == nil {
		t.Error("an overlong identification line was accepted")
	}
	id, err := ReadSSHIdent(bufio.NewReader(strings.NewReader("welcome\r\nSSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n")))
	if err != nil || id != "SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3" {
		t.Errorf("got %q %v", id, err)
	}
}

func TestTelnetStream(t *testing.T) {
	in := []byte{'a', iac, will, optEcho, iac, do, 31, iac, sb, 24, 1, iac, se, 'b', iac, iac, 'c', iac, 241, 'd', iac, do, optSGA}
	var ts telnetStream
	data, reply := ts.feed(in)
	if string(data) != "ab\xffcd" {
		t.Errorf("data %q", data)
	}
	want := []byte{iac, do, optEcho, iac, wont, 31, iac, will, optSGA}
	if !bytes.Equal(reply, want) {
		t.Errorf("reply % x, want % x", reply, want)
	}
	// The same bytes split at every point give the same data.
	for i := range in {
		var s telnetStream
		d1, r1 := s.feed(in[:i])
		d2, r2 := s.feed(in[i:])
		if string(append(d1, d2...)) != string(data) || !bytes.Equal(append(r1, r2...), reply) {
			t.Errorf("split at %d: %q / % x", i, append(d1, d2...), append(r1, r2...))
		}
	}
}

func TestParseSNMPResponse(t *testing.T) {
	// A GetResponse built by encoding/asn1, not by the package's own encoder.
	val, _ := asn1.Marshal([]byte("Linux router"))
	pdu, err := asn1.MarshalWithParams(snmpPDU{RequestID: 4242, Varbinds: []snmpVarbind{{Name: asn1.ObjectIdentifier{1, 3, 6, 1, 2, 1, 1, 1, 0}, Value: asn1.RawValue{FullBytes: val}}}}, "tag:2")
	if err != nil {
		t.Fatal(err)
	}
	msg, _ := asn1.Marshal(snmpMessage{Version: 1, Community: []byte("public"), PDU: asn1.RawValue{FullBytes: pdu}})
	r, err := ParseSNMPResponse(msg)
	if err != nil {
		t.Fatal(err)
	}
	if r.Version != 1 || r.Community != "public" || r.RequestID != 4242 || r.OIDs[0] != "1.3.6.1.2.1.1.1.0" || r.Values[0] != "Linux router" {
		t.Errorf("got %+v", r)
	}
	// The package's request decodes with encoding/asn1 as a GetRequest for sysDescr.0.
	var m snmpMessage
	if _, err := asn1.Unmarshal(snmpGetRequest("private", 77, sysDescrOID), &m); err != nil || string(m.Community) != "private" || m.PDU.Tag != 0 {
		t.Fatalf("request: %+v %v", m, err)
	}
	var p snmpPDU
	if _, err := asn1.UnmarshalWithParams(m.PDU.FullBytes, &p, "tag:0"); err != nil || p.RequestID != 77 || p.Varbinds[0].Name.String() != "1.3.6.1.2.1.1.1.0" {
		t.Errorf("request PDU: %+v %v", p, err)
	}
	for _, bad := range [][]byte{nil, {0x30}, {0x30, 0x84, 1, 2, 3, 4}, {0x30, 0x03, 0x02, 0x05, 0x00}, msg[:len(msg)-3]} {
		if _, err := ParseSNMPResponse(bad); err == nil {
			t.Errorf("accepted % x", bad)
		}
	}
}

func TestParseDNSReply(t *testing.T) {
	q, id, err := dnsQuery("version.bind.", dnsmessage.TypeTXT, dnsmessage.ClassCHAOS, false)
	if err != nil {
		t.Fatal(err)
	}
	var m dnsmessage.Message
	if err := m.Unpack(q); err != nil {
		t.Fatal(err)
	}
	m.Response, m.RecursionAvailable = true, true
	m.Answers = []dnsmessage.Resource{{Header: dnsmessage.ResourceHeader{Name: m.Questions[0].Name, Type: dnsmessage.TypeTXT, Class: dnsmessage.ClassCHAOS},
		Body: &dnsmessage.TXTResource{TXT: []string{"dnsmasq-2.90"}}}}
	b, _ := m.Pack()
	r, err := ParseDNSReply(b, id)
	if err != nil || r.Answers[0] != "dnsmasq-2.90" || !r.Recursion || r.RCode != "Success" {
		t.Errorf("got %+v %v", r, err)
	}
	if _, err := ParseDNSReply(b, id+1); err == nil {
		t.Error("a reply to another query was accepted")
	}
	if p, v := splitProduct(r.Answers[0]); p != "dnsmasq" || v != "2.90" {
		t.Errorf("splitProduct: %s %s", p, v)
	}
}

func TestFindLoginForm(t *testing.T) {
	f := findLoginForm([]byte(loginPage))
	if f == nil || f.Action != "/login" || f.Method != "POST" || f.UserField != "username" || f.PassField != "password" || f.Hidden.Get("csrf") != "x1" {
		t.Errorf("got %+v", f)
	}
	if findLoginForm([]byte(`<form><input name="q"></form>`)) != nil {
		t.Error("a form without a password field taken for a login")
	}
}

func FuzzParseKexInit(f *testing.F) {
	f.Add(kexinitPayload("curve25519-sha256", "ssh-ed25519", "aes128-ctr", "aes128-ctr", "hmac-sha2-256", "hmac-sha2-256", "none", "none", "", ""))
	f.Add([]byte{20})
	f.Fuzz(func(t *testing.T, b []byte) {
		k, err := ParseKexInit(b)
		if err == nil && k == nil {
			t.Fatal("nil without error")
		}
		_, _ = ReadSSHPacket(bytes.NewReader(b))
		_, _ = ReadSSHIdent(bufio.NewReader(bytes.NewReader(b)))
	})
}

func FuzzTelnetStream(f *testing.F) {
	f.Add([]byte{'a', iac, will, 1, iac, sb, 24, 1, iac, se, 'b'}, uint8(3))
	f.Fuzz(func(t *testing.T, b []byte, cut uint8) {
		var whole telnetStream
		d, r := whole.feed(b)
		if len(d) > len(b) || len(r) > 3*len(b) {
			t.Fatalf("output larger than input: %d data, %d reply from %d", len(d), len(r), len(b))
		}
		i := int(cut) % (len(b) + 1)
		var split telnetStream
		d1, r1 := split.feed(b[:i])
		d2, r2 := split.feed(b[i:])
		if !bytes.Equal(append(d1, d2...), d) || !bytes.Equal(append(r1, r2...), r) {
			t.Fatalf("split at %d changes the result", i)
		}
	})
}

func FuzzParseSNMPResponse(f *testing.F) {
	val, _ := asn1.Marshal([]byte("x"))
	pdu, _ := asn1.MarshalWithParams(snmpPDU{RequestID: 1, Varbinds: []snmpVarbind{{Name: asn1.ObjectIdentifier{1, 3, 6}, Value: asn1.RawValue{FullBytes: val}}}}, "tag:2")
	msg, _ := asn1.Marshal(snmpMessage{Version: 1, Community: []byte("public"), PDU: asn1.RawValue{FullBytes: pdu}})
	f.Add(msg)
	f.Add(snmpGetRequest("public", 1, sysDescrOID))
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := ParseSNMPResponse(b)
		if err == nil && (r == nil || len(r.OIDs) != len(r.Values) || len(r.OIDs) > maxVarbinds) {
			t.Fatalf("inconsistent %+v", r)
		}
	})
}

func FuzzParseDNSReply(f *testing.F) {
	q, id, _ := dnsQuery("version.bind.", dnsmessage.TypeTXT, dnsmessage.ClassCHAOS, false)
	f.Add(q, id)
	f.Fuzz(func(t *testing.T, b []byte, id uint16) {
		r, err := ParseDNSReply(b, id)
		if err == nil && (r == nil || len(r.Answers) > 16) {
			t.Fatalf("inconsistent %+v", r)
		}
	})
}

func FuzzFindLoginForm(f *testing.F) {
	f.Add([]byte(loginPage))
	f.Fuzz(func(t *testing.T, b []byte) {
		if lf := findLoginForm(b); lf != nil && lf.PassField == "" && lf.Method == "" {
			t.Fatal("a form without password field")
		}
	})
}
