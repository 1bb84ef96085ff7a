package label

import (
	"bytes"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// testKey returns a fixed key, so that envelopes in tests and the fuzz corpus are reproducible.
func testKey(seed byte) ed25519.PrivateKey {
	return ed25519.NewKeyFromSeed(bytes.Repeat([]byte{seed}, ed25519.SeedSize))
}

func sampleStatement() Statement {
	issued := time.Date(2026, 3, 2, 9, 30, 0, 0, time.UTC)
	return Statement{
		Schema:       SchemaV1,
		LabelID:      "SGL-2026-000042",
		Sequence:     3,
		Status:       Suspended,
		Reason:       "CVE-2026-1234 exploited and unfixed longer than the grace period of 14 days (known exploited since 2026-10-01)",
		IssuedAt:     issued,
		StatusSince:  time.Date(2026, 10, 21, 0, 0, 0, 0, time.UTC),
		Issuer:       Party{Name: "Siegel Issuing Service"},
		Manufacturer: Party{Name: "ACME Networks GmbH"},
		Product:      Product{Name: "ACME Router X1", Category: "router", CRAClass: "important-i"},
		Release:      Release{Version: "2.4.1", SupportEnd: "2031-12"},
		Catalogs: []Catalog{
			{ID: "cra", Version: "2024/2847"},
			{ID: "etsi-en-303-645", Version: "3.1.3"},
		},
		Verdicts: Verdicts{
			Counts:   Counts{Pass: 40, Fail: 1, NeedsAttestation: 0, NotApplicable: 12},
			Failed:   []string{"cra/annex-i-1-2-c"},
			Attested: []string{"etsi-en-303-645/5.2-1", "etsi-en-303-645/5.2-2"},
		},
		PageURL: "https://label.siegel.example/label/SGL-2026-000042",
	}
}

func TestPAE(t *testing.T) {
	// The example of the DSSE protocol description.
	got := string(PAE("http://example.com/HelloWorld", []byte("hello world")))
	want := "DSSEv1 29 http://example.com/HelloWorld 11 hello world"
	if got != want {
		t.Errorf("PAE = %q, want %q", got, want)
	}
	if got := string(PAE("", nil)); got != "DSSEv1 0  0 " {
		t.Errorf("PAE of empty = %q", got)
	}
}

func TestSignVerifyRoundTrip(t *testing.T) {
	key := testKey(1)
	st := sampleStatement()
	st.IssuedAt = st.IssuedAt.In(time.FixedZone("CET", 3600)).Add(123 * time.Millisecond)
	env, err := Sign(st, key)
	if err != nil {
		t.Fatal(err)
	}
	got, err := Verify(env, key.Public().(ed25519.PublicKey))
	if err != nil {
		t.Fatal(err)
	}
	want := sampleStatement() // times normalised to UTC seconds
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("verified statement (-want +got):\n%s", diff)
	}

	// The envelope is DSSE: payload, payloadType, signatures with keyid and sig.
	var raw map[string]any
	if err := json.Unmarshal(env, &raw); err != nil {
		t.Fatal(err)
	}
	if raw["payloadType"] != PayloadType {
		t.Errorf("payloadType %v", raw["payloadType"])
	}
	sigs := raw["signatures"].([]any)
	if len(sigs) != 1 || sigs[0].(map[string]any)["keyid"] != KeyID(key.Public().(ed25519.PublicKey)) {
		t.Errorf("signatures %v", sigs)
	}
	// The signature is over PAE of the exact payload bytes: check it independently.
	payload, _ := base64.StdEncoding.DecodeString(raw["payload"].(string))
	sig, _ := base64.StdEncoding.DecodeString(sigs[0].(map[string]any)["sig"].(string))
	if !ed25519.Verify(key.Public().(ed25519.PublicKey), PAE(PayloadType, payload), sig) {
		t.Error("signature is not Ed25519 over PAE(payloadType, payload)")
	}
	if !strings.HasPrefix(string(payload), `{"schema":"`+SchemaV1+`","labelId":"SGL-2026-000042","sequence":3,"status":"suspended"`) {
		t.Errorf("payload %s", payload)
	}

	// Signing is deterministic (Ed25519 is), so the same statement gives the same envelope.
	again, err := Sign(st, key)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(env, again) {
		t.Error("two signatures of one statement differ")
	}
}

func TestSignRefusesInvalid(t *testing.T) {
	st := sampleStatement()
	st.Release.SupportEnd = "2031-13"
	_, err := Sign(st, testKey(1))
	var fe *FieldError
	if !errors.As(err, &fe) || fe.Field != "/release/supportEnd" {
		t.Errorf("Sign = %v, want a field error on /release/supportEnd", err)
	}
	if _, err := Sign(sampleStatement(), ed25519.PrivateKey(make([]byte, 10))); !errors.Is(err, ErrBadKey) {
		t.Errorf("Sign with a short key = %v, want ErrBadKey", err)
	}
}

// envelopeWith signs a payload of the caller's making, for statements Sign would refuse.
func envelopeWith(t *testing.T, key ed25519.PrivateKey, payloadType string, payload []byte, keyid string) []byte {
	t.Helper()
	sig := ed25519.Sign(key, PAE(payloadType, payload))
	b, err := json.Marshal(envelope{
		Payload:     base64.StdEncoding.EncodeToString(payload),
		PayloadType: payloadType,
		Signatures:  []signature{{KeyID: keyid, Sig: base64.StdEncoding.EncodeToString(sig)}},
	})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestVerifyErrors(t *testing.T) {
	key := testKey(1)
	pub := key.Public().(ed25519.PublicKey)
	other := testKey(2).Public().(ed25519.PublicKey)
	good, err := Sign(sampleStatement(), key)
	if err != nil {
		t.Fatal(err)
	}
	payload, _ := json.Marshal(sampleStatement().normalize())
	signedPayload := func(mutate func(m map[string]any)) []byte {
		var m map[string]any
		if err := json.Unmarshal(payload, &m); err != nil {
			t.Fatal(err)
		}
		mutate(m)
		p, _ := json.Marshal(m)
		return envelopeWith(t, key, PayloadType, p, "")
	}
	flipPayloadByte := func() []byte {
		var env envelope
		json.Unmarshal(good, &env)
		p, _ := base64.StdEncoding.DecodeString(env.Payload)
		p[bytes.Index(p, []byte("suspended"))] = 'S'
		env.Payload = base64.StdEncoding.EncodeToString(p)
		b, _ := json.Marshal(env)
		return b
	}

	tests := []struct {
		name      string
		env       []byte
		pub       ed25519.PublicKey
		kind      error
		field     string
		substring string
	}{
		{"too large", make([]byte, MaxEnvelopeBytes+1), pub, ErrTooLarge, "", "1048577 bytes"},
		{"short key", good, pub[:31], ErrBadKey, "", "31 bytes"},
		{"empty", nil, pub, ErrBadEnvelope, "", "truncated or empty"},
		{"not json", []byte("hello"), pub, ErrBadEnvelope, "", "offset 1"},
		{"trailing data", append(bytes.TrimSpace(good), []byte(" {}")...), pub, ErrBadEnvelope, "", "data after"},
		{"unknown field", []byte(`{"payload":"","payloadType":"x","signatures":[],"extra":1}`), pub, ErrBadEnvelope, "", `unknown field "extra"`},
		{"wrong type", []byte(`{"payload":7}`), pub, ErrBadEnvelope, "/payload", "number where string"},
		{"no payload type", []byte(`{"payload":"","signatures":[{"sig":""}]}`), pub, ErrBadEnvelope, "/payloadType", "required"},
		{"other payload type", envelopeWith(t, key, "application/vnd.in-toto+json", payload, ""), pub, ErrPayloadType, "/payloadType", "application/vnd.in-toto+json"},
		{"no signatures", []byte(`{"payload":"","payloadType":"` + PayloadType + `","signatures":[]}`), pub, ErrBadEnvelope, "/signatures", "no signatures"},
		{"payload not base64", []byte(`{"payload":"!!","payloadType":"` + PayloadType + `","signatures":[{"sig":""}]}`), pub, ErrBadEnvelope, "/payload", "base64"},
		{"sig too short", []byte(`{"payload":"","payloadType":"` + PayloadType + `","signatures":[{"sig":"AAAA"}]}`), pub, ErrBadEnvelope, "/signatures/0/sig", "3 bytes"},
		{"wrong key, keyid set", good, other, ErrUnknownKey, "/signatures", KeyID(pub)},
		{"wrong key, no keyid", envelopeWith(t, key, PayloadType, payload, ""), other, ErrBadSignature, "/signatures", "altered"},
		{"payload byte flipped", flipPayloadByte(), pub, ErrBadSignature, "/signatures", ""},
		{"payload not json", envelopeWith(t, key, PayloadType, []byte("{"), ""), pub, ErrNotStatement, "", "truncated"},
		{"payload field type", signedPayload(func(m map[string]any) { m["sequence"] = "three" }), pub, ErrNotStatement, "/sequence", "string where uint64"},
		{"payload nested field type", signedPayload(func(m map[string]any) { m["release"] = map[string]any{"version": 2} }), pub, ErrNotStatement, "/release/version", "number where string"},
		{"payload unknown field", signedPayload(func(m map[string]any) { m["colour"] = "green" }), pub, ErrNotStatement, "", `unknown field "colour"`},
		{"payload bad time", signedPayload(func(m map[string]any) { m["statusSince"] = "yesterday" }), pub, ErrNotStatement, "/statusSince", "yesterday"},
		{"payload bad status", signedPayload(func(m map[string]any) { m["status"] = "pending" }), pub, ErrNotStatement, "/status", `"pending"`},
		{"payload missing reason", signedPayload(func(m map[string]any) { delete(m, "reason") }), pub, ErrNotStatement, "/reason", "required"},
		{"payload bad schema", signedPayload(func(m map[string]any) { m["schema"] = "v0" }), pub, ErrNotStatement, "/schema", `"v0"`},
		{"payload bad url", signedPayload(func(m map[string]any) { m["pageUrl"] = "javascript:alert(1)" }), pub, ErrNotStatement, "/pageUrl", "absolute http"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Verify(tt.env, tt.pub)
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("Verify = %v, want an *Error", err)
			}
			if !errors.Is(err, tt.kind) {
				t.Errorf("Verify = %v, want %v", err, tt.kind)
			}
			if e.Field != tt.field {
				t.Errorf("field %q, want %q (%v)", e.Field, tt.field, err)
			}
			if !strings.Contains(err.Error(), tt.substring) {
				t.Errorf("error %q does not contain %q", err, tt.substring)
			}
		})
	}
}

func TestVerifyAcceptsOtherSignersAndEncodings(t *testing.T) {
	key, other := testKey(1), testKey(2)
	pub := key.Public().(ed25519.PublicKey)
	payload, _ := json.Marshal(sampleStatement().normalize())
	msg := PAE(PayloadType, payload)
	env := envelope{
		// URL-safe base64 without padding, which DSSE allows.
		Payload:     base64.RawURLEncoding.EncodeToString(payload),
		PayloadType: PayloadType,
		Signatures: []signature{
			{KeyID: KeyID(other.Public().(ed25519.PublicKey)), Sig: base64.StdEncoding.EncodeToString(ed25519.Sign(other, msg))},
			{KeyID: KeyID(pub), Sig: base64.RawURLEncoding.EncodeToString(ed25519.Sign(key, msg))},
		},
	}
	b, _ := json.Marshal(env)
	got, err := Verify(b, pub)
	if err != nil {
		t.Fatal(err)
	}
	if got.LabelID != "SGL-2026-000042" {
		t.Errorf("label id %q", got.LabelID)
	}
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(*Statement)
		field  string // "" for valid
	}{
		{"sample", func(*Statement) {}, ""},
		{"valid needs no reason", func(s *Statement) { s.Status, s.Reason = Valid, "" }, ""},
		{"label id empty", func(s *Statement) { s.LabelID = "" }, "/labelId"},
		{"label id slash", func(s *Statement) { s.LabelID = "a/b" }, "/labelId"},
		{"label id of 128", func(s *Statement) { s.LabelID = "A" + strings.Repeat("x-", 63) + "9" }, ""},
		{"label id of 129", func(s *Statement) { s.LabelID = "A" + strings.Repeat("x.", 64) }, "/labelId"},
		{"label id starting with a dot", func(s *Statement) { s.LabelID = ".a" }, "/labelId"},
		{"sequence zero", func(s *Statement) { s.Sequence = 0 }, "/sequence"},
		{"no issued", func(s *Statement) { s.IssuedAt = time.Time{} }, "/issuedAt"},
		{"since before issued", func(s *Statement) { s.StatusSince = s.IssuedAt.Add(-time.Second) }, "/statusSince"},
		{"no issuer", func(s *Statement) { s.Issuer.Name = "" }, "/issuer/name"},
		{"no manufacturer", func(s *Statement) { s.Manufacturer.Name = "" }, "/manufacturer/name"},
		{"long product", func(s *Statement) { s.Product.Name = strings.Repeat("x", 257) }, "/product/name"},
		{"no category", func(s *Statement) { s.Product.Category = "" }, "/product/category"},
		{"bad class", func(s *Statement) { s.Product.CRAClass = "important" }, "/product/craClass"},
		{"no version", func(s *Statement) { s.Release.Version = "" }, "/release/version"},
		{"support end day", func(s *Statement) { s.Release.SupportEnd = "2031-12-31" }, "/release/supportEnd"},
		{"no catalogs", func(s *Statement) { s.Catalogs = nil }, "/catalogs"},
		{"catalog without version", func(s *Statement) { s.Catalogs[1].Version = "" }, "/catalogs/1/version"},
		{"negative count", func(s *Statement) { s.Verdicts.Counts.NotApplicable = -1 }, "/verdicts/counts/notApplicable"},
		{"failed count mismatch", func(s *Statement) { s.Verdicts.Counts.Fail = 2 }, "/verdicts/failed"},
		{"too many attested", func(s *Statement) { s.Verdicts.Counts.Pass = 1 }, "/verdicts/attested"},
		{"empty failed id", func(s *Statement) { s.Verdicts.Failed[0] = "" }, "/verdicts/failed/0"},
		{"relative url", func(s *Statement) { s.PageURL = "/label/1" }, "/pageUrl"},
		{"url with user", func(s *Statement) { s.PageURL = "https://a:b@example.com/" }, "/pageUrl"},
		{"control character", func(s *Statement) { s.Manufacturer.Name = "ACME\x1b[2J" }, "/manufacturer/name"},
		{"control character in reason", func(s *Statement) { s.Reason = "a\nb" }, "/reason"},
		{"not utf-8", func(s *Statement) { s.Verdicts.Attested[1] = "\xff" }, "/verdicts/attested/1"},
		{"http url", func(s *Statement) { s.PageURL = "http://localhost:8080/label/1" }, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := sampleStatement()
			tt.mutate(&st)
			err := st.Validate()
			if tt.field == "" {
				if err != nil {
					t.Errorf("Validate = %v, want nil", err)
				}
				return
			}
			var fe *FieldError
			if !errors.As(err, &fe) || fe.Field != tt.field {
				t.Errorf("Validate = %v, want an error on %s", err, tt.field)
			}
		})
	}
}
