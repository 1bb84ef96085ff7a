package lab

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// sysDescrOID is SNMPv2-MIB::sysDescr.0 (1.3.6.1.2.1.1.1.0).
var sysDescrOID = []int{1, 3, 6, 1, 2, 1, 1, 1, 0}

// BER tags used by SNMP (RFC 3416, X.690).
const (
	tagInteger     = 0x02
	tagOctetString = 0x04
	tagNull        = 0x05
	tagOID         = 0x06
	tagSequence    = 0x30
	tagGetRequest  = 0xa0
	tagGetResponse = 0xa2
)

func berLen(n int) []byte {
	switch {
	case n < 0x80:
		return []byte{byte(n)}
	case n < 0x100:
		return []byte{0x81, byte(n)}
	default:
		return []byte{0x82, byte(n >> 8), byte(n)}
	}
}

func tlv(tag byte, content []byte) []byte {
	return append(append([]byte{tag}, berLen(len(content))...), content...)
}

func berInt(v int64) []byte {
	var b []byte
	for {
		b = append([]byte{byte(v)}, b...)
		if (v >= -128 && v < 128) || len(b) == 8 {
			break
		}
		v >>= 8
	}
	return tlv(tagInteger, b)
}

func berOID(oid []int) []byte {
	b := []byte{byte(oid[0]*40 + oid[1])}
	for _, n := range oid[2:] {
		var enc []byte
		enc = append(enc, byte(n&0x7f))
		for n >>= 7; n > 0; n >>= 7 {
			enc = append([]byte{byte(n&0x7f | 0x80)}, enc...)
		}
		b = append(b, enc...)
	}
	return tlv(tagOID, b)
}

// snmpGetRequest builds an SNMPv2c GetRequest for one OID.
func snmpGetRequest(community string, id int32, oid []int) []byte {
	varbind := tlv(tagSequence, append(berOID(oid), tlv(tagNull, nil)...))
	pdu := tlv(tagGetRequest, concat(berInt(int64(id)), berInt(0), berInt(0), tlv(tagSequence, varbind)))
	return tlv(tagSequence, concat(berInt(1), tlv(tagOctetString, []byte(community)), pdu))
}

func concat(parts ...[]byte) []byte {
	var b []byte
	for _, p := range parts {
		b = append(b, p...)
	}
	return b
}

// SNMPResponse is a decoded GetResponse.
type SNMPResponse struct {
	Version     int
	Community   string
	RequestID   int32
	ErrorStatus int
	OIDs        []string
	Values      []string // octet strings as text, integers in decimal, other types by tag
}

// berReader reads TLVs from a byte slice; every error names the offset.
type berReader struct {
	b   []byte
	off int
}

func (r *berReader) next() (tag byte, content []byte, at int, err error) {
	at = r.off
	if len(r.b)-r.off < 2 {
		return 0, nil, at, fmt.Errorf("offset %d: truncated TLV", at)
	}
	tag = r.b[r.off]
	l := int(r.b[r.off+1])
	r.off += 2
	if l&0x80 != 0 {
		nb := l & 0x7f
		if nb == 0 || nb > 3 || len(r.b)-r.off < nb {
			return 0, nil, at, fmt.Errorf("offset %d: unsupported or truncated length of %d bytes", at, nb)
		}
		l = 0
		for range nb {
			l = l<<8 | int(r.b[r.off])
			r.off++
		}
	}
	if l > len(r.b)-r.off {
		return 0, nil, at, fmt.Errorf("offset %d: length %d exceeds the %d bytes left", at, l, len(r.b)-r.off)
	}
	content = r.b[r.off : r.off+l]
	r.off += l
	return tag, content, at, nil
}

func (r *berReader) expect(want byte, what string) ([]byte, int, error) {
	tag, c, at, err := r.next()
	if err != nil {
		return nil, at, fmt.Errorf("snmp %s: %w", what, err)
	}
	if tag != want {
		return nil, at, fmt.Errorf("snmp %s at offset %d: tag 0x%02x, want 0x%02x", what, at, tag, want)
	}
	return c, at, nil
}

func berInteger(c []byte) (int64, error) {
	if len(c) == 0 || len(c) > 8 {
		return 0, fmt.Errorf("integer of %d bytes", len(c))
	}
	v := int64(int8(c[0]))
	for _, x := range c[1:] {
		v = v<<8 | int64(x)
	}
	return v, nil
}

func berOIDString(c []byte) (string, error) {
	if len(c) == 0 {
		return "", errors.New("empty OID")
	}
	parts := []string{strconv.Itoa(int(c[0]) / 40), strconv.Itoa(int(c[0]) % 40)}
	n := 0
	for i, x := range c[1:] {
		if n > 1<<24 {
			return "", fmt.Errorf("OID arc too large at byte %d", i+1)
		}
		n = n<<7 | int(x&0x7f)
		if x&0x80 == 0 {
			parts = append(parts, strconv.Itoa(n))
			n = 0
		}
	}
	return strings.Join(parts, "."), nil
}

// maxVarbinds bounds the variable bindings read from one response.
const maxVarbinds = 64

// ParseSNMPResponse decodes an SNMPv1/v2c GetResponse message.
func ParseSNMPResponse(b []byte) (*SNMPResponse, error) {
	top := &berReader{b: b}
	msg, _, err := top.expect(tagSequence, "message")
	if err != nil {
		return nil, err
	}
	r := &berReader{b: msg}
	base := len(b) - len(msg)
	fail := func(err error) (*SNMPResponse, error) {
		return nil, fmt.Errorf("%w (message content starts at offset %d)", err, base)
	}
	vc, _, err := r.expect(tagInteger, "version")
	if err != nil {
		return fail(err)
	}
	resp := &SNMPResponse{}
	v, err := berInteger(vc)
	if err != nil {
		return fail(fmt.Errorf("snmp version: %w", err))
	}
	resp.Version = int(v)
	cc, _, err := r.expect(tagOctetString, "community")
	if err != nil {
		return fail(err)
	}
	resp.Community = string(cc)
	pdu, _, err := r.expect(tagGetResponse, "GetResponse PDU")
	if err != nil {
		return fail(err)
	}
	pr := &berReader{b: pdu}
	var nums [3]int64
	for i, what := range []string{"request-id", "error-status", "error-index"} {
		c, _, err := pr.expect(tagInteger, what)
		if err != nil {
			return fail(err)
		}
		if nums[i], err = berInteger(c); err != nil {
			return fail(fmt.Errorf("snmp %s: %w", what, err))
		}
	}
	resp.RequestID, resp.ErrorStatus = int32(nums[0]), int(nums[1])
	vbl, _, err := pr.expect(tagSequence, "varbind list")
	if err != nil {
		return fail(err)
	}
	vr := &berReader{b: vbl}
	for vr.off < len(vbl) && len(resp.OIDs) < maxVarbinds {
		vb, _, err := vr.expect(tagSequence, "varbind")
		if err != nil {
			return fail(err)
		}
		br := &berReader{b: vb}
		oc, _, err := br.expect(tagOID, "varbind name")
		if err != nil {
			return fail(err)
		}
		oid, err := berOIDString(oc)
		if err != nil {
			return fail(fmt.Errorf("snmp varbind name: %w", err))
		}
		tag, val, _, err := br.next()
		if err != nil {
			return fail(fmt.Errorf("snmp varbind value: %w", err))
		}
		var s string
		switch tag {
		case tagOctetString:
			s = Printable(val)
		case tagInteger:
			n, err := berInteger(val)
			if err != nil {
				return fail(fmt.Errorf("snmp varbind value: %w", err))
			}
			s = strconv.FormatInt(n, 10)
		default:
			s = fmt.Sprintf("(type 0x%02x)", tag)
		}
		resp.OIDs = append(resp.OIDs, oid)
		resp.Values = append(resp.Values, s)
	}
	return resp, nil
}
