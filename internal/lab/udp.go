package lab

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"net/netip"
	"regexp"
	"strings"
	"sync"
	"time"

	"golang.org/x/net/dns/dnsmessage"
)

// Default ports of the UDP services probed.
var defaultUDP = map[string]int{"dhcp": 67, "dhcp-client": 68, "dns": 53, "ntp": 123, "snmp": 161, "ssdp": 1900, "mdns": 5353, "tftp": 69, "natpmp": 5351}

func (e *engine) udpPort(name string) int {
	if p, ok := e.cfg.UDPPorts[name]; ok {
		return p
	}
	return defaultUDP[name]
}

const udpWait = 1500 * time.Millisecond

// probeUDP asks each UDP service once (SNMP once per community) and returns those that answered.
func (e *engine) probeUDP(ctx context.Context, a netip.Addr) []Service {
	var mu sync.Mutex
	var out []Service
	add := func(s *Service) {
		if s != nil {
			mu.Lock()
			out = append(out, *s)
			mu.Unlock()
		}
	}
	var wg sync.WaitGroup
	wg.Go(func() { add(e.probeDNS(ctx, a)) })
	wg.Go(func() { add(e.probeSNMP(ctx, a)) })
	wg.Go(func() { add(e.probeNTP(ctx, a)) })
	wg.Go(func() { add(e.probeSSDP(ctx, a)) })
	wg.Go(func() { add(e.probeMDNS(ctx, a)) })
	wg.Go(func() { add(e.probeTFTP(ctx, a)) })
	wg.Go(func() { add(e.probeNATPMP(ctx, a)) })
	wg.Go(func() { add(e.probeDHCP(ctx, a)) })
	wg.Wait()
	sortServices(out)
	return out
}

func sortServices(s []Service) {
	for i := 1; i < len(s); i++ {
		for j := i; j > 0 && s[j].Port < s[j-1].Port; j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
}

// DNSReply is what one DNS answer says.
type DNSReply struct {
	RCode     string
	Recursion bool // RA set
	Answers   []string
}

// dnsQuery builds a query with a random id.
func dnsQuery(name string, typ dnsmessage.Type, class dnsmessage.Class, rd bool) ([]byte, uint16, error) {
	id := uint16(randUint32())
	n, err := dnsmessage.NewName(name)
	if err != nil {
		return nil, 0, err
	}
	m := dnsmessage.Message{Header: dnsmessage.Header{ID: id, RecursionDesired: rd},
		Questions: []dnsmessage.Question{{Name: n, Type: typ, Class: class}}}
	b, err := m.Pack()
	return b, id, err
}

// ParseDNSReply reads a DNS answer to the query with id; TXT and A answers are rendered.
func ParseDNSReply(b []byte, id uint16) (*DNSReply, error) {
	var p dnsmessage.Parser
	h, err := p.Start(b)
	if err != nil {
		return nil, fmt.Errorf("dns reply header: %w", err)
	}
	if !h.Response || h.ID != id {
		return nil, fmt.Errorf("dns reply: not the answer to query %d (id %d, response %v)", id, h.ID, h.Response)
	}
	r := &DNSReply{RCode: strings.TrimPrefix(h.RCode.String(), "RCode"), Recursion: h.RecursionAvailable}
	if err := p.SkipAllQuestions(); err != nil {
		return nil, fmt.Errorf("dns reply questions: %w", err)
	}
	for len(r.Answers) < 16 {
		rh, err := p.AnswerHeader()
		if err == dnsmessage.ErrSectionDone {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("dns reply answer %d: %w", len(r.Answers)+1, err)
		}
		switch rh.Type {
		case dnsmessage.TypeTXT:
			t, err := p.TXTResource()
			if err != nil {
				return nil, fmt.Errorf("dns reply TXT: %w", err)
			}
			r.Answers = append(r.Answers, strings.Join(t.TXT, ""))
		case dnsmessage.TypeA:
			a, err := p.AResource()
			if err != nil {
				return nil, fmt.Errorf("dns reply A: %w", err)
			}
			r.Answers = append(r.Answers, netip.AddrFrom4(a.A).String())
		default:
			if err := p.SkipAnswer(); err != nil {
				return nil, fmt.Errorf("dns reply answer: %w", err)
			}
			r.Answers = append(r.Answers, rh.Type.String())
		}
	}
	return r, nil
}

func (e *engine) dnsAsk(ctx context.Context, addr, probe, name string, typ dnsmessage.Type, class dnsmessage.Class, rd bool) *DNSReply {
	q, id, err := dnsQuery(name, typ, class, rd)
	if err != nil {
		return nil
	}
	replies, err := e.p.exchangeUDP(ctx, probe, addr, q, udpWait, 1)
	if err != nil || len(replies) == 0 {
		return nil
	}
	r, err := ParseDNSReply(replies[0], id)
	if err != nil {
		e.skip("DNS at %s: the reply could not be read: %v", addr, err)
		return nil
	}
	return r
}

// openResolverName is asked with recursion desired: a name no device serves from its own data.
const openResolverName = "siegel-lab-recursion-test.example.com."

// probeDNS asks version.bind (CHAOS TXT) and a name the server can only answer by recursion.
func (e *engine) probeDNS(ctx context.Context, a netip.Addr) *Service {
	addr := hostPort(a, e.udpPort("dns"))
	var ver, rec *DNSReply
	var wg sync.WaitGroup
	wg.Go(func() {
		ver = e.dnsAsk(ctx, addr, "dns-version.bind", "version.bind.", dnsmessage.TypeTXT, dnsmessage.ClassCHAOS, false)
	})
	wg.Go(func() {
		rec = e.dnsAsk(ctx, addr, "dns-recursion", openResolverName, dnsmessage.TypeA, dnsmessage.ClassINET, true)
	})
	wg.Wait()
	if ver == nil && rec == nil {
		return nil
	}
	s := &Service{Address: a.String(), Port: e.udpPort("dns"), Proto: "udp", Name: "dns"}
	if ver != nil && len(ver.Answers) > 0 {
		s.Banner = ver.Answers[0]
		s.Product, s.Version = splitProduct(ver.Answers[0])
	}
	if rec != nil {
		s.Detail = dnsRecursionDetail(rec)
	}
	return s
}

// recursive reports whether a reply to a recursive query for a foreign name shows that the
// server recursed (or tried to): RA set and not refused.
func recursive(r *DNSReply) bool {
	return r != nil && r.Recursion && r.RCode != "Refused" && r.RCode != "NotImp"
}

func dnsRecursionDetail(r *DNSReply) string {
	if recursive(r) {
		return "recursion offered: a recursive query for a foreign name was answered with RA set, rcode " + r.RCode
	}
	return "no recursion: rcode " + r.RCode + fmt.Sprintf(", RA %v", r.Recursion)
}

// probeSNMP sends GetRequest sysDescr.0 with the communities public and private (SNMPv2c).
func (e *engine) probeSNMP(ctx context.Context, a netip.Addr) *Service {
	addr := hostPort(a, e.udpPort("snmp"))
	communities := []string{"public", "private"}
	resps := make([]*SNMPResponse, len(communities))
	var wg sync.WaitGroup
	for i, community := range communities {
		wg.Go(func() {
			id := int32(randUint32() & 0x7fffffff)
			replies, err := e.p.exchangeUDP(ctx, "snmp-get-"+community, addr, snmpGetRequest(community, id, sysDescrOID), udpWait, 1)
			if err != nil || len(replies) == 0 {
				return
			}
			resp, err := ParseSNMPResponse(replies[0])
			if err != nil {
				e.skip("SNMP at %s: the reply could not be read: %v", addr, err)
				return
			}
			if resp.RequestID == id {
				resps[i] = resp
			}
		})
	}
	wg.Wait()
	var s *Service
	for i, community := range communities {
		resp := resps[i]
		if resp == nil {
			continue
		}
		if s == nil {
			s = &Service{Address: a.String(), Port: e.udpPort("snmp"), Proto: "udp", Name: "snmp"}
		}
		if resp.ErrorStatus == 0 && len(resp.Values) > 0 {
			s.Detail = strings.TrimSpace(s.Detail + " community " + community + " answers;")
			if s.Banner == "" {
				s.Banner = resp.Values[0]
			}
		}
	}
	if s != nil {
		s.Detail = strings.TrimSuffix(s.Detail, ";")
	}
	return s
}

// ntpRequest is a client request (LI 0, version 4, mode 3) with nothing else set.
func ntpRequest() []byte {
	b := make([]byte, 48)
	b[0] = 0x23
	return b
}

// ParseNTP reads an NTP reply's mode, version and stratum.
func ParseNTP(b []byte) (mode, version, stratum int, err error) {
	if len(b) < 48 {
		return 0, 0, 0, fmt.Errorf("ntp reply: %d bytes, want at least 48", len(b))
	}
	return int(b[0] & 7), int(b[0]>>3) & 7, int(b[1]), nil
}

func (e *engine) probeNTP(ctx context.Context, a netip.Addr) *Service {
	addr := hostPort(a, e.udpPort("ntp"))
	replies, err := e.p.exchangeUDP(ctx, "ntp-client", addr, ntpRequest(), udpWait, 1)
	if err != nil || len(replies) == 0 {
		return nil
	}
	mode, ver, stratum, err := ParseNTP(replies[0])
	if err != nil || mode != 4 {
		return nil
	}
	return &Service{Address: a.String(), Port: e.udpPort("ntp"), Proto: "udp", Name: "ntp", Detail: fmt.Sprintf("NTPv%d server, stratum %d", ver, stratum)}
}

var headerLine = regexp.MustCompile(`(?im)^(server|location|st|usn):\s*(.+?)\s*$`)

// probeSSDP sends an M-SEARCH for every device (UPnP Device Architecture 2.0 §1.3.2) to the
// device's own address.
func (e *engine) probeSSDP(ctx context.Context, a netip.Addr) *Service {
	addr := hostPort(a, e.udpPort("ssdp"))
	req := "M-SEARCH * HTTP/1.1\r\nHOST: 239.255.255.250:1900\r\nMAN: \"ssdp:discover\"\r\nMX: 1\r\nST: ssdp:all\r\nUSER-AGENT: Siegel/lab UPnP/2.0\r\n\r\n"
	replies, err := e.p.exchangeUDP(ctx, "ssdp-msearch", addr, []byte(req), udpWait+time.Second, 8)
	if err != nil || len(replies) == 0 {
		return nil
	}
	s := &Service{Address: a.String(), Port: e.udpPort("ssdp"), Proto: "udp", Name: "ssdp"}
	for _, m := range headerLine.FindAllSubmatch(replies[0], -1) {
		switch strings.ToLower(string(m[1])) {
		case "server":
			s.Banner = string(m[2])
		case "location":
			s.Detail = "UPnP description at " + string(m[2])
		}
	}
	if !bytes.HasPrefix(replies[0], []byte("HTTP/1.1 200")) && s.Banner == "" {
		s.Detail = "answered: " + Printable(replies[0][:min(len(replies[0]), 60)])
	}
	return s
}

// probeMDNS asks for the service types (RFC 6763 §9) as a legacy unicast query (RFC 6762 §6.7).
func (e *engine) probeMDNS(ctx context.Context, a netip.Addr) *Service {
	addr := hostPort(a, e.udpPort("mdns"))
	r := e.dnsAsk(ctx, addr, "mdns-services", "_services._dns-sd._udp.local.", dnsmessage.TypePTR, dnsmessage.ClassINET, false)
	if r == nil {
		return nil
	}
	return &Service{Address: a.String(), Port: e.udpPort("mdns"), Proto: "udp", Name: "mdns", Detail: fmt.Sprintf("%d answers to the service enumeration", len(r.Answers))}
}

// probeTFTP asks to read a file that does not exist (RFC 1350): a TFTP server answers with an
// error packet from a new port, or with data.
func (e *engine) probeTFTP(ctx context.Context, a netip.Addr) *Service {
	addr := hostPort(a, e.udpPort("tftp"))
	rrq := append([]byte{0, 1}, []byte("siegel-lab-"+randomToken(4)+"\x00octet\x00")...)
	replies, err := e.p.exchangeUDP(ctx, "tftp-rrq", addr, rrq, udpWait, 1)
	if err != nil || len(replies) == 0 || len(replies[0]) < 4 {
		return nil
	}
	op := binary.BigEndian.Uint16(replies[0])
	s := &Service{Address: a.String(), Port: e.udpPort("tftp"), Proto: "udp", Name: "tftp"}
	switch op {
	case 3:
		s.Detail = "served data for a made-up file name"
	case 5:
		s.Detail = "answered a read request with error: " + Printable(bytes.TrimRight(replies[0][4:], "\x00"))
	default:
		return nil
	}
	return s
}

// probeNATPMP asks for the external address (RFC 6886 §3.2): a NAT-PMP server answers with
// opcode 128 and lets whoever reaches it open port mappings.
func (e *engine) probeNATPMP(ctx context.Context, a netip.Addr) *Service {
	addr := hostPort(a, e.udpPort("natpmp"))
	replies, err := e.p.exchangeUDP(ctx, "natpmp-address", addr, []byte{0, 0}, udpWait, 1)
	if err != nil || len(replies) == 0 || len(replies[0]) < 12 || replies[0][0] != 0 || replies[0][1] != 128 {
		return nil
	}
	r := replies[0]
	s := &Service{Address: a.String(), Port: e.udpPort("natpmp"), Proto: "udp", Name: "nat-pmp"}
	if code := binary.BigEndian.Uint16(r[2:]); code == 0 {
		s.Detail = "external address " + netip.AddrFrom4([4]byte(r[8:12])).String()
	} else {
		s.Detail = fmt.Sprintf("answered with result code %d", code)
	}
	return s
}
