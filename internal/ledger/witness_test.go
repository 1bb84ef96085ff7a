package ledger

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestCosignatures(t *testing.T) {
	skey, vkey, err := NewKey("siegel.test/log")
	if err != nil {
		t.Fatal(err)
	}
	cp := Checkpoint{Origin: "siegel.test/log", Size: 42}
	cp.Root[0] = 7
	signed, err := SignCheckpoint(cp, skey)
	if err != nil {
		t.Fatal(err)
	}
	wskey, wvkey, err := NewWitnessKey("witness.example")
	if err != nil {
		t.Fatal(err)
	}
	w, err := ParseWitness(wvkey)
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)
	line, err := Cosign(cp, wskey, at)
	if err != nil {
		t.Fatal(err)
	}
	note := signed + line
	// The log's own signature still verifies with the line added (signed-note readers skip
	// signatures of unknown keys), and the cosignature verifies with its time.
	if _, err := OpenCheckpoint(note, vkey); err != nil {
		t.Fatalf("log signature with a cosignature added: %v", err)
	}
	got, err := VerifyCosignatures(note, cp, []Witness{w})
	if err != nil || !got["witness.example"].Equal(at) {
		t.Fatalf("cosignature: %v %v", got, err)
	}
	if lines := CosignatureLines(note, cp.Origin); len(lines) != 1 || lines[0] != line {
		t.Errorf("cosignature lines %q", lines)
	}

	// Another checkpoint (a forked history of the same size) does not carry this cosignature.
	other := cp
	other.Root[0] = 8
	if _, err := VerifyCosignatures(note, other, []Witness{w}); !errors.Is(err, ErrNoCosignature) {
		t.Errorf("cosignature of another root: %v", err)
	}
	// A flipped byte in the line, or another witness key under the same name, fails.
	blob := strings.Fields(line)[2]
	flipped := strings.Replace(note, blob, strings.ToUpper(blob[:20])+blob[20:], 1)
	if flipped != note {
		if _, err := VerifyCosignatures(flipped, cp, []Witness{w}); err == nil {
			t.Error("tampered cosignature verified")
		}
	}
	_, impostorV, _ := NewWitnessKey("witness.example")
	impostor, _ := ParseWitness(impostorV)
	if _, err := VerifyCosignatures(note, cp, []Witness{impostor}); !errors.Is(err, ErrNoCosignature) {
		t.Errorf("another key of the same name: %v", err)
	}
	// Keys are checked when parsed.
	for _, bad := range []string{"", "name+00000000+AAAA", strings.Replace(wvkey, "+", "+0", 1), "a b+1+2"} {
		if _, err := ParseWitness(bad); err == nil {
			t.Errorf("ParseWitness(%q) accepted", bad)
		}
	}
	if _, _, err := NewWitnessKey("bad name"); err == nil {
		t.Error("witness name with a space accepted")
	}
	if _, err := Cosign(cp, "PRIVATE+WITNESS+junk", at); err == nil {
		t.Error("bad witness private key accepted")
	}
	if w.VKey() != wvkey {
		t.Errorf("VKey %q, want %q", w.VKey(), wvkey)
	}
}
