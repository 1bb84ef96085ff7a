package ledger

import (
	"crypto/subtle"
	"encoding/hex"
	"fmt"
	"strings"

	"golang.org/x/mod/sumdb/tlog"
)

// Bundle formats. A v1 bundle proves that its statements are in the log; a v2 bundle also
// proves, for each subject it carries a subject proof for, that it holds every statement about
// that subject up to its checkpoint.
const (
	BundleFormatV1 = "siegel-ledger-bundle/v1"
	BundleFormat   = "siegel-ledger-bundle/v2"
)

// Entry is a statement in a bundle, with its inclusion proof and, when revealed, its content.
type Entry struct {
	Index     int64       `json:"index"`
	Statement Statement   `json:"statement"`
	Proof     []tlog.Hash `json:"proof"`
	Salt      []byte      `json:"salt,omitempty"`
	Content   []byte      `json:"content,omitempty"`
}

// SubjectProof proves, against the checkpoint's subject map, how many statements about Subject
// the log holds and the index of the latest: with them all in the bundle, it is complete for
// Subject.
type SubjectProof struct {
	Subject string      `json:"subject"`
	Count   int64       `json:"count"`
	Last    int64       `json:"last"`
	Proof   []tlog.Hash `json:"proof"`
}

// Bundle is what 'siegel ledger export' writes: everything needed to verify the entries offline.
type Bundle struct {
	Format string `json:"format"`
	// Subject is what was exported: one subject (release/12) or, ending in "/", every subject
	// under it (release/).
	Subject     string  `json:"subject"`
	VerifierKey string  `json:"verifierKey"`
	Checkpoint  string  `json:"checkpoint"` // signed note
	Entries     []Entry `json:"entries"`    // in log order
	// Subjects holds a subject proof for each subject whose statements are all in Entries,
	// in the order of the subjects' names.
	Subjects []SubjectProof `json:"subjects"`
	// Timestamp is an RFC 3161 time-stamp token (DER) of the checkpoint note from a
	// time-stamping authority, when the exporter asked for one (see VerifyTimestamp).
	Timestamp []byte `json:"timestamp,omitempty"`
}

// Report says what a bundle proves.
type Report struct {
	Checkpoint Checkpoint
	Format     string
	Scope      string // the exported subject (empty in v1 bundles)
	Statements int
	Subjects   []SubjectReport // in the order of first appearance in the bundle
}

// SubjectReport is what a bundle proves about one subject.
type SubjectReport struct {
	Subject    string
	Statements int // in the bundle
	// Complete is set when the bundle holds every statement about Subject that the log held
	// at the checkpoint; otherwise it proves only that its statements are in the log.
	Complete bool
	// Unchained counts the statements written before statements were hash-chained: the subject
	// map's count covers them, their order comes from their log indexes.
	Unchained int
}

// Complete reports whether the bundle proves completeness for subject.
func (r *Report) Complete(subject string) bool {
	for _, s := range r.Subjects {
		if s.Subject == subject {
			return s.Complete
		}
	}
	return false
}

// Verify checks a bundle (see Check) and returns its checkpoint.
func Verify(b *Bundle) (Checkpoint, error) {
	r, err := Check(b)
	return r.Checkpoint, err
}

// Check verifies a bundle and says what it proves: the checkpoint's signature; that the entries
// are in log order, about the exported subject, each in the tree the checkpoint commits to, each
// revealed content matching its commitment; and, per subject proof, that the subject map of the
// checkpoint holds exactly the bundle's statements about that subject, the latest last, their
// hash chain unbroken. The error names the entry or subject and what failed.
func Check(b *Bundle) (Report, error) {
	r := Report{Format: b.Format, Scope: b.Subject, Statements: len(b.Entries)}
	if b.Format != BundleFormat && b.Format != BundleFormatV1 {
		return r, fmt.Errorf("bundle format %q: want %s", b.Format, BundleFormat)
	}
	if b.Format == BundleFormatV1 && (b.Subject != "" || b.Subjects != nil) {
		return r, fmt.Errorf("a %s bundle has no subject or subjects", BundleFormatV1)
	}
	if b.Format == BundleFormat && !strings.Contains(b.Subject, "/") {
		return r, fmt.Errorf("bundle subject %q: want KIND/ID or KIND/", b.Subject)
	}
	cp, err := OpenCheckpoint(b.Checkpoint, b.VerifierKey)
	if err != nil {
		return r, err
	}
	r.Checkpoint = cp
	bySubject := map[string][]int{} // subject -> positions of its entries
	hashes := make([]tlog.Hash, len(b.Entries))
	for i, e := range b.Entries {
		if e.Index < 0 || e.Index >= cp.Size {
			return r, fmt.Errorf("entry %d: index %d outside the checkpoint's %d entries", i, e.Index, cp.Size)
		}
		if i > 0 && e.Index <= b.Entries[i-1].Index {
			return r, fmt.Errorf("entry %d: log index %d after %d: entries must be in log order", i, e.Index, b.Entries[i-1].Index)
		}
		if b.Format == BundleFormat && !inScope(b.Subject, e.Statement.Subject) {
			return r, fmt.Errorf("entry %d (log index %d): about %s, not %s", i, e.Index, e.Statement.Subject, b.Subject)
		}
		hashes[i] = tlog.RecordHash(e.Statement.Leaf())
		if err := tlog.CheckRecord(tlog.RecordProof(e.Proof), cp.Size, cp.Root, e.Index, hashes[i]); err != nil {
			return r, fmt.Errorf("entry %d (log index %d, %s %s): not in the log the checkpoint signs: %w", i, e.Index, e.Statement.Type, e.Statement.Subject, err)
		}
		if e.Content != nil || e.Salt != nil {
			got := Commitment(e.Salt, e.Content)
			if subtle.ConstantTimeCompare([]byte(got), []byte(e.Statement.Commitment)) != 1 {
				return r, fmt.Errorf("entry %d (log index %d): the revealed content does not match the statement's commitment", i, e.Index)
			}
		}
		s := e.Statement.Subject
		if _, ok := bySubject[s]; !ok {
			r.Subjects = append(r.Subjects, SubjectReport{Subject: s})
		}
		bySubject[s] = append(bySubject[s], i)
	}
	for i := range r.Subjects {
		r.Subjects[i].Statements = len(bySubject[r.Subjects[i].Subject])
	}
	for i, sp := range b.Subjects {
		if !cp.HasSubjects {
			return r, fmt.Errorf("subject proof %d (%s): the checkpoint has no subject map", i, sp.Subject)
		}
		if i > 0 && sp.Subject <= b.Subjects[i-1].Subject {
			return r, fmt.Errorf("subject proof %d (%s): after %s: subject proofs must be in the order of their names, each once", i, sp.Subject, b.Subjects[i-1].Subject)
		}
		if err := checkComplete(b, hashes, cp, sp, bySubject[sp.Subject]); err != nil {
			return r, fmt.Errorf("subject proof %d (%s): %w", i, sp.Subject, err)
		}
		for j := range r.Subjects {
			if r.Subjects[j].Subject == sp.Subject {
				r.Subjects[j].Complete = true
				for _, at := range bySubject[sp.Subject] {
					if b.Entries[at].Statement.Seq == 0 {
						r.Subjects[j].Unchained++
					}
				}
			}
		}
	}
	return r, nil
}

// inScope reports whether subject is the exported scope or, for a scope ending in "/", under it.
func inScope(scope, subject string) bool {
	if strings.HasSuffix(scope, "/") {
		return strings.HasPrefix(subject, scope)
	}
	return subject == scope
}

// checkComplete checks that the entries at positions are every statement about sp.Subject in
// the log at checkpoint cp: as many as the subject map counts, the latest the one it names, and
// each chained statement in its place after the one before.
func checkComplete(b *Bundle, hashes []tlog.Hash, cp Checkpoint, sp SubjectProof, positions []int) error {
	if int64(len(positions)) != sp.Count || sp.Count < 1 {
		return fmt.Errorf("the bundle holds %d statements about it, the subject proof counts %d", len(positions), sp.Count)
	}
	lastAt := positions[len(positions)-1]
	last := b.Entries[lastAt]
	if last.Index != sp.Last {
		return fmt.Errorf("the latest statement in the bundle is at log index %d, the subject proof names %d", last.Index, sp.Last)
	}
	if err := CheckSubject(cp.Subjects, sp.Subject, SubjectState{Count: sp.Count, Last: sp.Last, LastHash: hashes[lastAt]}, sp.Proof); err != nil {
		return err
	}
	prev := ""
	for n, at := range positions {
		st := b.Entries[at].Statement
		if st.Seq != 0 && (st.Seq != int64(n+1) || st.Prev != prev) {
			return fmt.Errorf("entry %d (log index %d) is statement %d about it after %q; the bundle has it as statement %d after %q: a statement is missing or out of place",
				at, b.Entries[at].Index, st.Seq, st.Prev, n+1, prev)
		}
		prev = hex.EncodeToString(hashes[at][:])
	}
	return nil
}
