package label

import (
	"bytes"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
)

// PayloadType is the DSSE payload type of a label statement.
const PayloadType = "application/vnd.siegel.label-statement.v1+json"

// MaxEnvelopeBytes is the largest envelope Verify reads.
const MaxEnvelopeBytes = 1 << 20

// maxSignatures bounds the work an envelope can ask of Verify.
const maxSignatures = 16

// Errors that Verify's *Error wraps; branch on them with errors.Is.
var (
	ErrTooLarge     = errors.New("envelope too large")
	ErrBadEnvelope  = errors.New("not a valid DSSE envelope")
	ErrPayloadType  = errors.New("wrong payload type")
	ErrUnknownKey   = errors.New("no signature by the given key")
	ErrBadSignature = errors.New("signature does not verify")
	ErrNotStatement = errors.New("payload is not a label statement")
	ErrBadKey       = errors.New("not an Ed25519 key")
)

// Error is why an envelope or a key was refused. It wraps one of the Err values above.
type Error struct {
	Kind   error  // ErrBadEnvelope, ErrPayloadType, ...
	In     string // "envelope" or "payload"; "" when the whole input is meant
	Field  string // JSON pointer within In; "" when unknown
	Offset int64  // byte offset within In; -1 when unknown
	Detail string
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.Kind.Error())
	if e.In != "" || e.Field != "" {
		b.WriteString(": ")
		b.WriteString(strings.TrimSpace(e.In + " " + e.Field))
	}
	if e.Offset >= 0 {
		fmt.Fprintf(&b, " at offset %d", e.Offset)
	}
	if e.Detail != "" {
		b.WriteString(": ")
		b.WriteString(e.Detail)
	}
	return b.String()
}

func (e *Error) Unwrap() error { return e.Kind }

// envelope is a DSSE envelope (https://github.com/secure-systems-lab/dsse, envelope.md).
type envelope struct {
	Payload     string      `json:"payload"`
	PayloadType string      `json:"payloadType"`
	Signatures  []signature `json:"signatures"`
}

type signature struct {
	KeyID string `json:"keyid,omitempty"`
	Sig   string `json:"sig"`
}

// PAE is DSSE's pre-authentication encoding of a payload of the given type, the bytes that are
// signed: "DSSEv1" SP LEN(type) SP type SP LEN(body) SP body, lengths in ASCII decimal.
func PAE(payloadType string, payload []byte) []byte {
	b := make([]byte, 0, len("DSSEv1")+len(payloadType)+len(payload)+2*20+4)
	b = append(b, "DSSEv1 "...)
	b = strconv.AppendInt(b, int64(len(payloadType)), 10)
	b = append(b, ' ')
	b = append(b, payloadType...)
	b = append(b, ' ')
	b = strconv.AppendInt(b, int64(len(payload)), 10)
	b = append(b, ' ')
	return append(b, payload...)
}

// Sign validates the statement and returns it signed with key in a DSSE envelope: the payload is
// the statement's JSON (times in UTC to the second), the signature Ed25519 over PAE(PayloadType,
// payload), and its keyid KeyID of the public key.
func Sign(st Statement, key ed25519.PrivateKey) ([]byte, error) {
	if len(key) != ed25519.PrivateKeySize {
		return nil, &Error{Kind: ErrBadKey, Offset: -1, Detail: fmt.Sprintf("private key of %d bytes, want %d", len(key), ed25519.PrivateKeySize)}
	}
	st = st.normalize()
	if err := st.Validate(); err != nil {
		return nil, fmt.Errorf("label statement: %w", err)
	}
	payload, err := json.Marshal(st)
	if err != nil {
		return nil, fmt.Errorf("label statement: %w", err)
	}
	return signEnvelope(PayloadType, payload, key)
}

// signEnvelope wraps payload in a DSSE envelope signed with key.
func signEnvelope(payloadType string, payload []byte, key ed25519.PrivateKey) ([]byte, error) {
	sig := ed25519.Sign(key, PAE(payloadType, payload))
	env := envelope{
		Payload:     base64.StdEncoding.EncodeToString(payload),
		PayloadType: payloadType,
		Signatures: []signature{{
			KeyID: KeyID(key.Public().(ed25519.PublicKey)),
			Sig:   base64.StdEncoding.EncodeToString(sig),
		}},
	}
	out, err := json.Marshal(env)
	if err != nil {
		return nil, err
	}
	return append(out, '\n'), nil
}

// Verify checks that the envelope holds a label statement signed by pub and returns the
// statement, times in UTC. A signature whose keyid is set and is not KeyID(pub) is not tried. The
// error is an *Error wrapping ErrTooLarge, ErrBadEnvelope, ErrPayloadType, ErrUnknownKey,
// ErrBadSignature, ErrNotStatement or ErrBadKey.
func Verify(data []byte, pub ed25519.PublicKey) (Statement, error) {
	payload, err := openEnvelope(data, PayloadType, pub, MaxEnvelopeBytes)
	if err != nil {
		return Statement{}, err
	}
	return parseStatement(payload)
}

// openEnvelope checks that data is a DSSE envelope of payloadType signed by pub and returns its
// payload.
func openEnvelope(data []byte, payloadType string, pub ed25519.PublicKey, max int) ([]byte, error) {
	if len(data) > max {
		return nil, &Error{Kind: ErrTooLarge, Offset: -1, Detail: fmt.Sprintf("%d bytes, at most %d are read", len(data), max)}
	}
	if len(pub) != ed25519.PublicKeySize {
		return nil, &Error{Kind: ErrBadKey, Offset: -1, Detail: fmt.Sprintf("public key of %d bytes, want %d", len(pub), ed25519.PublicKeySize)}
	}
	var env envelope
	if err := decodeStrict(data, &env); err != nil {
		return nil, jsonError(ErrBadEnvelope, "envelope", err)
	}
	badEnv := func(field, format string, args ...any) error {
		return &Error{Kind: ErrBadEnvelope, In: "envelope", Field: field, Offset: -1, Detail: fmt.Sprintf(format, args...)}
	}
	switch {
	case env.PayloadType == "":
		return nil, badEnv("/payloadType", "required")
	case env.PayloadType != payloadType:
		return nil, &Error{Kind: ErrPayloadType, In: "envelope", Field: "/payloadType", Offset: -1,
			Detail: fmt.Sprintf("want %q, got %q", payloadType, clip(env.PayloadType))}
	case len(env.Signatures) == 0:
		return nil, badEnv("/signatures", "no signatures")
	case len(env.Signatures) > maxSignatures:
		return nil, badEnv("/signatures", "%d signatures, at most %d are read", len(env.Signatures), maxSignatures)
	}
	payload, err := decodeBase64(env.Payload)
	if err != nil {
		return nil, badEnv("/payload", "not base64: %v", err)
	}
	want := KeyID(pub)
	msg := PAE(env.PayloadType, payload)
	tried := 0
	var others []string
	for i, s := range env.Signatures {
		if s.KeyID != "" && s.KeyID != want {
			others = append(others, clip(s.KeyID))
			continue
		}
		sig, err := decodeBase64(s.Sig)
		if err != nil {
			return nil, badEnv(fmt.Sprintf("/signatures/%d/sig", i), "not base64: %v", err)
		}
		if len(sig) != ed25519.SignatureSize {
			return nil, badEnv(fmt.Sprintf("/signatures/%d/sig", i), "%d bytes, an Ed25519 signature has %d", len(sig), ed25519.SignatureSize)
		}
		tried++
		if ed25519.Verify(pub, msg, sig) {
			return payload, nil
		}
	}
	if tried == 0 {
		return nil, &Error{Kind: ErrUnknownKey, In: "envelope", Field: "/signatures", Offset: -1,
			Detail: fmt.Sprintf("want keyid %s, the envelope is signed by %s", want, strings.Join(others, ", "))}
	}
	return nil, &Error{Kind: ErrBadSignature, In: "envelope", Field: "/signatures", Offset: -1,
		Detail: fmt.Sprintf("%d signature(s) tried with key %s: the envelope was altered or signed by another key", tried, want)}
}

// parseStatement decodes a verified payload. Unknown fields are refused: a v1 reader must not
// silently drop what a signer meant to say.
func parseStatement(payload []byte) (Statement, error) {
	var st Statement
	if err := decodeStrict(payload, &st); err != nil {
		e := jsonError(ErrNotStatement, "payload", err)
		var pe *time.ParseError
		if errors.As(err, &pe) {
			e.Field = timeField(payload)
		}
		return Statement{}, e
	}
	if err := st.Validate(); err != nil {
		var fe *FieldError
		if errors.As(err, &fe) {
			return Statement{}, &Error{Kind: ErrNotStatement, In: "payload", Field: fe.Field, Offset: -1, Detail: fe.Rule}
		}
		return Statement{}, &Error{Kind: ErrNotStatement, In: "payload", Offset: -1, Detail: err.Error()}
	}
	st.IssuedAt = st.IssuedAt.UTC()
	st.StatusSince = st.StatusSince.UTC()
	return st, nil
}

// timeField names the time field that does not parse, for an error message.
func timeField(payload []byte) string {
	var raw struct {
		IssuedAt    json.RawMessage `json:"issuedAt"`
		StatusSince json.RawMessage `json:"statusSince"`
	}
	if json.Unmarshal(payload, &raw) != nil {
		return ""
	}
	var t time.Time
	if raw.IssuedAt != nil && t.UnmarshalJSON(raw.IssuedAt) != nil {
		return "/issuedAt"
	}
	if raw.StatusSince != nil && t.UnmarshalJSON(raw.StatusSince) != nil {
		return "/statusSince"
	}
	return ""
}

// decodeStrict decodes exactly one JSON value into v, refusing unknown fields and trailing data.
func decodeStrict(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		if errors.Is(err, io.EOF) {
			return io.ErrUnexpectedEOF
		}
		return err
	}
	if _, err := dec.Token(); err != io.EOF {
		return &trailingError{offset: dec.InputOffset()}
	}
	return nil
}

type trailingError struct{ offset int64 }

func (e *trailingError) Error() string { return "data after the JSON value" }

// jsonError turns a decoding error into an *Error with the field and offset it names.
func jsonError(kind error, in string, err error) *Error {
	e := &Error{Kind: kind, In: in, Offset: -1, Detail: err.Error()}
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	var tr *trailingError
	switch {
	case errors.As(err, &se):
		e.Offset, e.Detail = se.Offset, "JSON syntax: "+se.Error()
	case errors.As(err, &te):
		e.Offset = te.Offset
		if te.Field != "" {
			e.Field = "/" + strings.ReplaceAll(te.Field, ".", "/")
		}
		e.Detail = fmt.Sprintf("JSON %s where %s is wanted", te.Value, te.Type)
	case errors.As(err, &tr):
		e.Offset, e.Detail = tr.offset, tr.Error()
	case errors.Is(err, io.ErrUnexpectedEOF):
		e.Detail = "truncated or empty JSON"
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		name, _ := strconv.Unquote(strings.TrimPrefix(err.Error(), "json: unknown field "))
		e.Detail = fmt.Sprintf("unknown field %q", clip(name))
	}
	return e
}

// decodeBase64 accepts standard and URL-safe base64, padded or not, as DSSE allows.
func decodeBase64(s string) ([]byte, error) {
	encs := []*base64.Encoding{base64.StdEncoding, base64.URLEncoding, base64.RawStdEncoding, base64.RawURLEncoding}
	var first error
	for _, enc := range encs {
		b, err := enc.DecodeString(s)
		if err == nil {
			return b, nil
		}
		if first == nil {
			first = err
		}
	}
	return nil, first
}
