package label

import (
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"
)

// The public register: every label an issuer gave, with its status, term and reason, signed as
// one document so that anyone can tell whether a statement in their hands is the current one.

// RegisterPayloadType is the DSSE payload type of a signed register.
const RegisterPayloadType = "application/vnd.siegel.label-register.v1+json"

// RegisterSchemaV1 identifies version 1 of the register format.
const RegisterSchemaV1 = "https://siegel.dev/schema/label-register/v1"

// MaxRegisterBytes is the largest signed register VerifyRegister reads (some 100,000 labels).
const MaxRegisterBytes = 64 << 20

// Register lists an issuer's labels as they stand at GeneratedAt.
type Register struct {
	Schema      string          `json:"schema"`
	Issuer      Party           `json:"issuer"`
	GeneratedAt time.Time       `json:"generatedAt"`
	Labels      []RegisterEntry `json:"labels"`
}

// RegisterEntry is one label in the register.
type RegisterEntry struct {
	LabelID      string    `json:"labelId"`
	Sequence     uint64    `json:"sequence"` // the current statement's
	Status       Status    `json:"status"`
	Reason       string    `json:"reason,omitempty"`
	StatusSince  time.Time `json:"statusSince"`
	IssuedAt     time.Time `json:"issuedAt"`
	ValidUntil   time.Time `json:"validUntil,omitzero"`
	Manufacturer string    `json:"manufacturer"`
	Product      string    `json:"product"`
	Version      string    `json:"version"`
	// StatementSHA256 is the hex SHA-256 of the current statement's signed payload (the
	// statement's JSON as signed, whatever whitespace the envelope around it has): the
	// statement a holder has is the current one exactly when the digests agree.
	StatementSHA256 string `json:"statementSha256"`
}

// EntryOf describes a label's current signed statement for the register; envelope is the
// statement's signed envelope, already verified.
func EntryOf(st Statement, envelope []byte) RegisterEntry {
	return RegisterEntry{
		LabelID: st.LabelID, Sequence: st.Sequence, Status: st.Status, Reason: st.Reason,
		StatusSince: st.StatusSince, IssuedAt: st.IssuedAt, ValidUntil: st.ValidUntil,
		Manufacturer: st.Manufacturer.Name, Product: st.Product.Name, Version: st.Release.Version,
		StatementSHA256: payloadDigest(envelope),
	}
}

// payloadDigest is the hex SHA-256 of an envelope's payload, "" when it has none to read.
func payloadDigest(data []byte) string {
	var env envelope
	if json.Unmarshal(data, &env) != nil {
		return ""
	}
	payload, err := decodeBase64(env.Payload)
	if err != nil {
		return ""
	}
	sum := sha256.Sum256(payload)
	return hex.EncodeToString(sum[:])
}

// SignRegister signs the register (labels in id order, times in UTC to the second).
func SignRegister(r Register, key ed25519.PrivateKey) ([]byte, error) {
	if len(key) != ed25519.PrivateKeySize {
		return nil, &Error{Kind: ErrBadKey, Offset: -1, Detail: fmt.Sprintf("private key of %d bytes, want %d", len(key), ed25519.PrivateKeySize)}
	}
	r.Schema = RegisterSchemaV1
	r.GeneratedAt = r.GeneratedAt.UTC().Truncate(time.Second)
	r.Labels = slices.Clone(r.Labels)
	if r.Labels == nil {
		r.Labels = []RegisterEntry{}
	}
	for i := range r.Labels {
		e := &r.Labels[i]
		e.StatusSince = e.StatusSince.UTC().Truncate(time.Second)
		e.IssuedAt = e.IssuedAt.UTC().Truncate(time.Second)
		if !e.ValidUntil.IsZero() {
			e.ValidUntil = e.ValidUntil.UTC().Truncate(time.Second)
		}
	}
	slices.SortFunc(r.Labels, func(a, b RegisterEntry) int { return strings.Compare(a.LabelID, b.LabelID) })
	payload, err := json.Marshal(r)
	if err != nil {
		return nil, err
	}
	return signEnvelope(RegisterPayloadType, payload, key)
}

// VerifyRegister checks a signed register and returns it.
func VerifyRegister(data []byte, pub ed25519.PublicKey) (Register, error) {
	payload, err := openEnvelope(data, RegisterPayloadType, pub, MaxRegisterBytes)
	if err != nil {
		return Register{}, err
	}
	var r Register
	if err := decodeStrict(payload, &r); err != nil {
		return Register{}, jsonError(ErrNotStatement, "payload", err)
	}
	if r.Schema != RegisterSchemaV1 {
		return Register{}, &Error{Kind: ErrNotStatement, In: "payload", Field: "/schema", Offset: -1, Detail: fmt.Sprintf("want %q, got %q", RegisterSchemaV1, clip(r.Schema))}
	}
	return r, nil
}

// Standing is what the register says of a statement in someone's hands.
type Standing struct {
	Current bool // the statement is the label's current one
	Entry   *RegisterEntry
	Why     string
}

// Check says whether the statement (its envelope bytes and verified content) is the label's
// current statement according to the register.
func (r Register) Check(st Statement, envelope []byte) Standing {
	i := slices.IndexFunc(r.Labels, func(e RegisterEntry) bool { return e.LabelID == st.LabelID })
	if i < 0 {
		return Standing{Why: fmt.Sprintf("label %s is not in the register of %s (generated %s)", st.LabelID, r.Issuer.Name, r.GeneratedAt.Format(time.RFC3339))}
	}
	e := &r.Labels[i]
	switch {
	case payloadDigest(envelope) == e.StatementSHA256:
		return Standing{Current: true, Entry: e, Why: fmt.Sprintf("current statement (#%d) as of %s", e.Sequence, r.GeneratedAt.Format(time.RFC3339))}
	case st.Sequence < e.Sequence:
		return Standing{Entry: e, Why: fmt.Sprintf("superseded: this is statement #%d; the register of %s lists #%d, %s since %s%s",
			st.Sequence, r.GeneratedAt.Format(time.RFC3339), e.Sequence, e.Status, e.StatusSince.Format(time.RFC3339), reasonSuffix(e.Reason))}
	}
	return Standing{Entry: e, Why: fmt.Sprintf("not the statement the register lists for #%d (digest differs)", e.Sequence)}
}

func reasonSuffix(r string) string {
	if r == "" {
		return ""
	}
	return ": " + r
}

// InTerm says whether the label's term covers the instant at; a statement without a term is
// covered (it predates terms), and the reason says so.
func (st Statement) InTerm(at time.Time) (bool, string) {
	switch {
	case at.Before(st.IssuedAt):
		return false, "before the label was issued (" + st.IssuedAt.Format(time.RFC3339) + ")"
	case st.ValidUntil.IsZero():
		return true, "the statement states no term"
	case !at.Before(st.ValidUntil):
		return false, "the term ended " + st.ValidUntil.Format(time.RFC3339)
	}
	return true, "within the term, which ends " + st.ValidUntil.Format(time.RFC3339)
}
