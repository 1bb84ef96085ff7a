// Package ledger is Siegel's tamper-evident record of what a manufacturer knew and did, and when:
// an append-only log of statements in a Merkle tree of the kind Certificate Transparency uses
// (RFC 6962/9162 hashing, as golang.org/x/mod/sumdb/tlog implements it), with checkpoints signed
// in the C2SP signed-note format (Ed25519), inclusion and consistency proofs, and bundles that
// anyone can verify offline.
//
// A statement does not hold its content, only a salted hash commitment to it: the content is kept
// beside the log and revealed selectively (embargoed vulnerabilities, trade secrets, personal
// data) without weakening the proof, and without the salt a short content cannot be guessed from
// its hash.
package ledger

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

// Statement types.
const (
	SBOMPublished      = "sbom-published"
	ExploitedAware     = "exploited-aware"
	VEXDecision        = "vex-decision"
	CaseStageSubmitted = "case-stage-submitted"
	FixReleased        = "fix-released"
	CaseClosed         = "case-closed"
	CaseReopened       = "case-reopened"
	// IntermediateRequested: a CSIRT asked for an intermediate report (CRA Art. 14(6)).
	IntermediateRequested = "intermediate-report-requested"
	AdvisoryPublished     = "advisory-published"
	SupportDeclared       = "support-period-declared"
	FirmwareAnalysed      = "firmware-analysed"
	FactsDeclared         = "product-facts-declared"
	AttestationSigned     = "attestation-signed"
	LabelIssued           = "label-issued"
	LabelSuspended        = "label-suspended"
	LabelReinstated       = "label-reinstated"
	LabelRevoked          = "label-revoked"
	// LabelRevocationAnnounced: an authority announced a revocation that takes effect after the
	// manufacturer's comment period; LabelRevocationWithdrawn: it withdrew it before then.
	LabelRevocationAnnounced = "label-revocation-announced"
	LabelRevocationWithdrawn = "label-revocation-withdrawn"
	LabelRenewed             = "label-renewed"
	LabelExpired             = "label-expired"
	// ProcedureEvent: a step of a market surveillance procedure (CRA Chapter V).
	ProcedureEvent   = "procedure-event"
	CategoryDeclared = "product-category-declared"
	// ProductRegistered: a manufacturer registered a product with a market surveillance
	// authority; MarketRecordDeclared: it declared the facts of a release the Art. 58(1)
	// checklist reads (CE marking, declaration, notified body, documentation, contact).
	ProductRegistered    = "product-registered"
	MarketRecordDeclared = "market-record-declared"
	// LogWitnessed: a witness of this server cosigned a checkpoint of a log it witnesses;
	// LogWitnessRefused: it refused one, with the reason (the evidence of a rewritten history).
	LogWitnessed      = "log-witnessed"
	LogWitnessRefused = "log-witness-refused"
	// LabRunRecorded: a lab run against a device running the release was stored as evidence.
	LabRunRecorded = "lab-run-recorded"
	// AuthorityRecordDeclared: the facts of a registered product's scoped view, as its
	// manufacturer declares them to an authority on another server; AuthorityRecordReceived: an
	// authority verified and kept such a record.
	AuthorityRecordDeclared = "authority-record-declared"
	AuthorityRecordReceived = "authority-record-received"
)

// Statement is one entry of the log. Its canonical JSON (this field order, UTC times to the
// nanosecond) is the leaf the tree hashes.
type Statement struct {
	Type       string    `json:"type"`
	Subject    string    `json:"subject"` // kind/id: release/12, case/3, advisory/7, ...
	Actor      string    `json:"actor"`
	Time       time.Time `json:"time"`
	Commitment string    `json:"commitment"` // hex SHA-256 of salt || content
	// Seq is the statement's place among the statements about Subject, from 1, and Prev the
	// hex record hash (tlog.RecordHash of the leaf) of the one before it: the statements about a
	// subject form a hash chain. Statements written before chaining have neither.
	Seq  int64  `json:"seq,omitempty"`
	Prev string `json:"prev,omitempty"`
}

// Leaf is the statement's bytes as hashed into the tree.
func (s Statement) Leaf() []byte {
	s.Time = s.Time.UTC()
	b, _ := json.Marshal(s)
	return b
}

// Commit returns a fresh salt and the commitment to content under it.
func Commit(content []byte) (salt []byte, commitment string) {
	salt = make([]byte, 32)
	rand.Read(salt)
	return salt, Commitment(salt, content)
}

// Commitment is hex SHA-256(salt || content).
func Commitment(salt, content []byte) string {
	h := sha256.New()
	h.Write(salt)
	h.Write(content)
	return hex.EncodeToString(h.Sum(nil))
}

// Checkpoint is a signed statement of the log's size and root hash (C2SP tlog-checkpoint body:
// origin line, size line, base64 root hash line) and, as an extension line, of the root of the
// subject map after those entries ("siegel-subjects " and its base64). Checkpoints of logs, or
// of sizes, from before the subject map have no such line.
type Checkpoint struct {
	Origin      string
	Size        int64
	Root        tlog.Hash
	Subjects    tlog.Hash // the subject map's root, when HasSubjects
	HasSubjects bool
}

const subjectsLine = "siegel-subjects "

// Text is the checkpoint body.
func (c Checkpoint) Text() string {
	t := fmt.Sprintf("%s\n%d\n%s\n", c.Origin, c.Size, base64.StdEncoding.EncodeToString(c.Root[:]))
	if c.HasSubjects {
		t += subjectsLine + base64.StdEncoding.EncodeToString(c.Subjects[:]) + "\n"
	}
	return t
}

// SignCheckpoint signs a checkpoint with a note signer key (see NewKey).
func SignCheckpoint(c Checkpoint, skey string) (string, error) {
	signer, err := note.NewSigner(skey)
	if err != nil {
		return "", fmt.Errorf("ledger key: %w", err)
	}
	msg, err := note.Sign(&note.Note{Text: c.Text()}, signer)
	if err != nil {
		return "", err
	}
	return string(msg), nil
}

// OpenCheckpoint verifies a signed checkpoint against the verifier key and parses it.
func OpenCheckpoint(signed, vkey string) (Checkpoint, error) {
	v, err := note.NewVerifier(vkey)
	if err != nil {
		return Checkpoint{}, fmt.Errorf("verifier key: %w", err)
	}
	n, err := note.Open([]byte(signed), note.VerifierList(v))
	if err != nil {
		return Checkpoint{}, fmt.Errorf("checkpoint signature: %w", err)
	}
	lines := strings.Split(n.Text, "\n")
	if len(lines) < 4 || lines[0] == "" {
		return Checkpoint{}, errors.New("checkpoint: want origin, size and root hash lines")
	}
	size, err := strconv.ParseInt(lines[1], 10, 64)
	if err != nil || size < 0 {
		return Checkpoint{}, fmt.Errorf("checkpoint size %q", lines[1])
	}
	root, err := base64.StdEncoding.DecodeString(lines[2])
	if err != nil || len(root) != tlog.HashSize {
		return Checkpoint{}, fmt.Errorf("checkpoint root hash %q", lines[2])
	}
	c := Checkpoint{Origin: lines[0], Size: size}
	copy(c.Root[:], root)
	for _, ext := range lines[3:] {
		b64, ok := strings.CutPrefix(ext, subjectsLine)
		if !ok {
			continue // another extension: the signature covers it, its meaning is not ours
		}
		h, err := base64.StdEncoding.DecodeString(b64)
		if err != nil || len(h) != tlog.HashSize || c.HasSubjects {
			return Checkpoint{}, fmt.Errorf("checkpoint subject map line %q", ext)
		}
		copy(c.Subjects[:], h)
		c.HasSubjects = true
	}
	return c, nil
}

// NewKey makes an Ed25519 signing key for the log named origin; it returns the private signer key
// and the public verifier key, in the signed-note key formats.
func NewKey(origin string) (skey, vkey string, err error) {
	return note.GenerateKey(rand.Reader, origin)
}

// CheckConsistency checks that the tree of checkpoint newer extends the tree of older, with a
// consistency proof: a forked history fails.
func CheckConsistency(older, newer Checkpoint, proof []tlog.Hash) error {
	if older.Origin != newer.Origin {
		return fmt.Errorf("checkpoints of different logs: %q and %q", older.Origin, newer.Origin)
	}
	if older.Size > newer.Size {
		return fmt.Errorf("the newer checkpoint (%d entries) is smaller than the older (%d): history was cut", newer.Size, older.Size)
	}
	if err := tlog.CheckTree(tlog.TreeProof(proof), newer.Size, newer.Root, older.Size, older.Root); err != nil {
		return fmt.Errorf("checkpoints %d and %d are not consistent (a forked or rewritten history): %w", older.Size, newer.Size, err)
	}
	return nil
}
