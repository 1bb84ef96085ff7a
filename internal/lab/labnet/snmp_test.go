package labnet

import (
	"bytes"
	"encoding/asn1"
	"net"
	"testing"
	"time"
)

// snmpGetSysName sends an SNMPv1 GetRequest for sysName.0 with the community and returns the
// response, or nil when none comes (snmpd ignores a wrong community).
func snmpGetSysName(t *testing.T, addr string, community string) []byte {
	t.Helper()
	type varBind struct {
		Name  asn1.ObjectIdentifier
		Value asn1.RawValue
	}
	pdu, err := asn1.Marshal(struct {
		ID       int
		Status   int
		Index    int
		VarBinds []varBind
	}{ID: 4242, VarBinds: []varBind{{Name: asn1.ObjectIdentifier{1, 3, 6, 1, 2, 1, 1, 5, 0}, Value: asn1.RawValue{Tag: asn1.TagNull}}}})
	if err != nil {
		t.Fatal(err)
	}
	pdu[0] = 0xa0 // GetRequest-PDU: [0] IMPLICIT SEQUENCE
	msg, err := asn1.Marshal(struct {
		Version   int
		Community []byte
		PDU       asn1.RawValue
	}{Version: 0, Community: []byte(community), PDU: asn1.RawValue{FullBytes: pdu}})
	if err != nil {
		t.Fatal(err)
	}
	c, err := net.Dial("udp", net.JoinHostPort(addr, "161"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(3 * time.Second))
	if _, err := c.Write(msg); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 1500)
	n, err := c.Read(buf)
	if err != nil {
		return nil
	}
	return buf[:n]
}

// checkSNMP reads sysName with the truth's community from every side where 161/udp is open
// (only the Mirai-era router has SNMP; its sysName is mirai-router), and checks that a wrong
// community gets no answer.
func checkSNMP(t *testing.T, l *Lab) {
	for _, side := range Sides {
		if !containsInt(l.Truth.Open[side].UDP, 161) {
			continue
		}
		addr := l.Address(side).String()
		resp := snmpGetSysName(t, addr, l.Truth.SNMPCommunity)
		if !bytes.Contains(resp, []byte("mirai-router")) {
			t.Errorf("%s: sysName with community %q: %x", side, l.Truth.SNMPCommunity, resp)
		}
	}
	// A wrong community gets silence (one side suffices: it is one daemon and one setting).
	if resp := snmpGetSysName(t, l.WAN.String(), l.Truth.SNMPCommunity+"-wrong"); resp != nil {
		t.Errorf("a wrong community got an answer: %x", resp)
	}
}
