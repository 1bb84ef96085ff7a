package label

import (
	"bytes"
	"crypto/ed25519"
	"errors"
	"strings"
	"testing"
	"time"
)

func TestRegisterSaysWhichStatementIsCurrent(t *testing.T) {
	key := testKey(1)
	pub := key.Public().(ed25519.PublicKey)
	first := sampleStatement()
	first.Sequence, first.Status, first.Reason = 1, Valid, ""
	first.ValidUntil = first.IssuedAt.AddDate(2, 0, 0)
	env1, err := Sign(first, key)
	if err != nil {
		t.Fatal(err)
	}
	second := first
	second.Sequence, second.Status, second.Reason, second.StatusSince = 2, Revoked, "revoked by BSI: telnet open", first.StatusSince.Add(time.Hour)
	env2, err := Sign(second, key)
	if err != nil {
		t.Fatal(err)
	}
	other := sampleStatement()
	other.LabelID = "SL-OTHER"
	envOther, _ := Sign(other, key)

	reg, err := SignRegister(Register{Issuer: Party{Name: "BSI"}, GeneratedAt: second.StatusSince, Labels: []RegisterEntry{EntryOf(second, env2)}}, key)
	if err != nil {
		t.Fatal(err)
	}
	r, err := VerifyRegister(reg, pub)
	if err != nil {
		t.Fatal(err)
	}
	if s := r.Check(second, env2); !s.Current {
		t.Errorf("the current statement: %+v", s)
	}
	if s := r.Check(first, env1); s.Current || !strings.Contains(s.Why, "superseded") || !strings.Contains(s.Why, "revoked by BSI: telnet open") {
		t.Errorf("a superseded statement: %+v", s)
	}
	if s := r.Check(other, envOther); s.Current || !strings.Contains(s.Why, "not in the register") {
		t.Errorf("a label not in the register: %+v", s)
	}

	// A register altered after signing, or signed by another key, is refused.
	tampered := bytes.Replace(reg, []byte(`"payload":"`), []byte(`"payload":"eyJ`), 1)
	if _, err := VerifyRegister(tampered, pub); err == nil {
		t.Error("a tampered register verified")
	}
	if _, err := VerifyRegister(reg, testKey(2).Public().(ed25519.PublicKey)); !errors.Is(err, ErrBadSignature) && !errors.Is(err, ErrUnknownKey) {
		t.Errorf("another key: %v", err)
	}
	// A statement is not a register, nor the other way round.
	if _, err := VerifyRegister(env2, pub); !errors.Is(err, ErrPayloadType) {
		t.Errorf("a statement read as a register: %v", err)
	}
	if _, err := Verify(reg, pub); !errors.Is(err, ErrPayloadType) {
		t.Errorf("a register read as a statement: %v", err)
	}
}

func TestInTerm(t *testing.T) {
	st := sampleStatement()
	st.ValidUntil = st.IssuedAt.AddDate(2, 0, 0)
	for at, want := range map[time.Time]bool{
		st.IssuedAt.Add(-time.Second): false, st.IssuedAt: true, st.ValidUntil.Add(-time.Second): true, st.ValidUntil: false,
	} {
		if got, why := st.InTerm(at); got != want {
			t.Errorf("at %v: %v (%s), want %v", at, got, why, want)
		}
	}
}

func FuzzVerifyRegister(f *testing.F) {
	key := testKey(1)
	st := sampleStatement()
	env, _ := Sign(st, key)
	reg, _ := SignRegister(Register{Issuer: Party{Name: "BSI"}, Labels: []RegisterEntry{EntryOf(st, env)}}, key)
	f.Add(reg)
	f.Add([]byte(`{}`))
	pub := key.Public().(ed25519.PublicKey)
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := VerifyRegister(data, pub)
		if err == nil && r.Schema != RegisterSchemaV1 {
			t.Fatalf("verified a register of schema %q", r.Schema)
		}
	})
}
