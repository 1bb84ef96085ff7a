package ledger

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
)

// MaxBundleBytes bounds the bundles DecodeBundle reads.
const MaxBundleBytes = 1 << 30

// DecodeBundle reads a bundle strictly: every object must have exactly the keys its format
// defines (spelled exactly, each once, the required ones present), and nothing may follow it.
// A key renamed, dropped or added is an error that says where.
func DecodeBundle(r io.Reader) (*Bundle, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxBundleBytes+1))
	if err != nil {
		return nil, err
	}
	if len(data) > MaxBundleBytes {
		return nil, fmt.Errorf("bundle larger than %d bytes", MaxBundleBytes)
	}
	var b Bundle
	if err := json.Unmarshal(data, &b); err != nil {
		return nil, err
	}
	return &b, nil
}

// The keys of each object: required ones first, then optional ones.
var (
	bundleV1Keys    = keySet{required: []string{"format", "verifierKey", "checkpoint", "entries"}, optional: []string{"timestamp"}}
	bundleKeys      = keySet{required: []string{"format", "subject", "verifierKey", "checkpoint", "entries", "subjects"}, optional: []string{"timestamp"}}
	entryKeys       = keySet{required: []string{"index", "statement", "proof"}, optional: []string{"salt", "content"}}
	statementKeys   = keySet{required: []string{"type", "subject", "actor", "time", "commitment"}, optional: []string{"seq", "prev"}}
	subjectProofKey = keySet{required: []string{"subject", "count", "last", "proof"}}
)

type keySet struct{ required, optional []string }

// checkKeys checks the keys of the JSON object data against ks, exactly (encoding/json matches
// field names without regard to case, which would let a renamed key pass).
func checkKeys(data []byte, ks keySet) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return errors.New("want a JSON object")
	}
	seen := map[string]bool{}
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return err
		}
		k := t.(string) // object keys are strings
		switch {
		case seen[k]:
			return fmt.Errorf("key %q given twice", k)
		case !slices.Contains(ks.required, k) && !slices.Contains(ks.optional, k):
			return fmt.Errorf("unknown key %q", k)
		}
		seen[k] = true
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			return err
		}
	}
	for _, k := range ks.required {
		if !seen[k] {
			return fmt.Errorf("missing key %q", k)
		}
	}
	return nil
}

// strictDecode checks data's keys against ks, then decodes it into dst refusing unknown fields.
func strictDecode(data []byte, ks keySet, dst any) error {
	if err := checkKeys(data, ks); err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	return dec.Decode(dst)
}

// UnmarshalJSON decodes a bundle strictly (see DecodeBundle).
func (b *Bundle) UnmarshalJSON(data []byte) error {
	var head struct {
		Format string `json:"format"`
	}
	if err := json.Unmarshal(data, &head); err != nil {
		return fmt.Errorf("bundle: %w", err)
	}
	ks := bundleKeys
	if head.Format == BundleFormatV1 {
		ks = bundleV1Keys
	}
	type raw struct {
		Format      string            `json:"format"`
		Subject     string            `json:"subject"`
		VerifierKey string            `json:"verifierKey"`
		Checkpoint  string            `json:"checkpoint"`
		Entries     []json.RawMessage `json:"entries"`
		Subjects    []json.RawMessage `json:"subjects"`
		Timestamp   []byte            `json:"timestamp"`
	}
	var r raw
	if err := strictDecode(data, ks, &r); err != nil {
		return fmt.Errorf("bundle: %w", err)
	}
	if r.Entries == nil {
		return errors.New("bundle: entries must be a list")
	}
	*b = Bundle{Format: r.Format, Subject: r.Subject, VerifierKey: r.VerifierKey, Checkpoint: r.Checkpoint, Timestamp: r.Timestamp,
		Entries: make([]Entry, len(r.Entries))}
	for i, e := range r.Entries {
		if err := json.Unmarshal(e, &b.Entries[i]); err != nil {
			return fmt.Errorf("bundle: entries[%d]: %w", i, err)
		}
	}
	if ks.required[len(ks.required)-1] == "subjects" {
		if r.Subjects == nil {
			return errors.New("bundle: subjects must be a list")
		}
		b.Subjects = make([]SubjectProof, len(r.Subjects))
	}
	for i, s := range r.Subjects {
		type plain SubjectProof
		if err := strictDecode(s, subjectProofKey, (*plain)(&b.Subjects[i])); err != nil {
			return fmt.Errorf("bundle: subjects[%d]: %w", i, err)
		}
	}
	return nil
}

// UnmarshalJSON decodes an entry strictly.
func (e *Entry) UnmarshalJSON(data []byte) error {
	type plain Entry
	return strictDecode(data, entryKeys, (*plain)(e))
}

// UnmarshalJSON decodes a statement strictly.
func (s *Statement) UnmarshalJSON(data []byte) error {
	type plain Statement
	if err := strictDecode(data, statementKeys, (*plain)(s)); err != nil {
		return fmt.Errorf("statement: %w", err)
	}
	return nil
}

// MarshalJSON writes a bundle with the keys of its format: a v1 bundle has no subject or
// subjects.
func (b Bundle) MarshalJSON() ([]byte, error) {
	type plain Bundle
	if b.Format != BundleFormatV1 {
		return json.Marshal(plain(b))
	}
	return json.Marshal(struct {
		Format      string  `json:"format"`
		VerifierKey string  `json:"verifierKey"`
		Checkpoint  string  `json:"checkpoint"`
		Entries     []Entry `json:"entries"`
		Timestamp   []byte  `json:"timestamp,omitempty"`
	}{b.Format, b.VerifierKey, b.Checkpoint, b.Entries, b.Timestamp})
}
