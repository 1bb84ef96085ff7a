// Package repo keeps a product's signed update repository in The Update Framework's format
// (root, targets, snapshot and timestamp metadata, built and signed with go-tuf v2): publishing an
// artifact, pointing a hardware class back to an earlier image after a halted rollout, and
// re-signing the online roles before they expire.
//
// Keys are kept apart by what they can do: the root keys (threshold signatures) only sign root
// metadata and stay offline; the targets key signs what devices may install; the online key
// signs snapshot and timestamp, which only vouch for freshness and consistency. Every change to
// targets raises its version: a rollback to an earlier image is a new targets version with a
// higher release counter, never older metadata.
package repo

import (
	"crypto"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"path"
	"strings"
	"time"

	"github.com/sigstore/sigstore/pkg/signature"
	"github.com/theupdateframework/go-tuf/v2/metadata"
)

// Expiry is how long each role's metadata stays valid after it is signed.
type Expiry struct {
	Root, Targets, Snapshot, Timestamp time.Duration
}

// DefaultExpiry: root a year (re-signed offline), targets three months, snapshot a week,
// timestamp a day (re-signed by the server well before).
var DefaultExpiry = Expiry{Root: 365 * 24 * time.Hour, Targets: 90 * 24 * time.Hour, Snapshot: 7 * 24 * time.Hour, Timestamp: 24 * time.Hour}

// Content types of an artifact: content updates (configuration, signature data) go through the
// same repository, plans and gates as code.
const (
	ContentCode          = "code"
	ContentConfiguration = "configuration"
	ContentSignatureData = "signature data"
)

// Release is what Siegel records about a target in its custom metadata, signed with it.
type Release struct {
	Version       string `json:"version"`
	HardwareClass string `json:"hardwareClass"`
	// Counter increases with every target published for the hardware class; a device refuses a
	// target whose counter is below the one it runs (anti-rollback).
	Counter     int64  `json:"releaseCounter"`
	ContentType string `json:"contentType"`
	// Reference is an OCI-style digest reference (registry/name@sha256:...) when the artifact
	// lives in a registry rather than in this repository.
	Reference string `json:"reference,omitempty"`
	// RollbackOf names the version a rollback target replaces ("" for a release).
	RollbackOf string `json:"rollbackOf,omitempty"`
}

type custom struct {
	Siegel Release `json:"siegel"`
}

// ReleaseOf reads the Siegel release of a target's custom metadata.
func ReleaseOf(tf *metadata.TargetFiles) (Release, error) {
	if tf == nil || tf.Custom == nil {
		return Release{}, errors.New("target has no Siegel release metadata")
	}
	var c custom
	if err := json.Unmarshal(*tf.Custom, &c); err != nil {
		return Release{}, fmt.Errorf("target %s: custom metadata: %w", tf.Path, err)
	}
	if c.Siegel.HardwareClass == "" || c.Siegel.Version == "" || c.Siegel.Counter <= 0 {
		return Release{}, fmt.Errorf("target %s: custom metadata lacks version, hardware class or release counter", tf.Path)
	}
	return c.Siegel, nil
}

// File is one metadata file to store and serve: Name as clients fetch it ("3.targets.json",
// "timestamp.json"), the role and version, and the signed bytes.
type File struct {
	Name    string
	Role    string
	Version int64
	Body    []byte
}

// Repo is the current metadata of one repository.
type Repo struct {
	Root      *metadata.Metadata[metadata.RootType]
	Targets   *metadata.Metadata[metadata.TargetsType]
	Snapshot  *metadata.Metadata[metadata.SnapshotType]
	Timestamp *metadata.Metadata[metadata.TimestampType]
	Expiry    Expiry
}

// Keys are the signers of a new repository.
type Keys struct {
	Root          []ed25519.PrivateKey
	RootThreshold int
	Targets       ed25519.PrivateKey
	Online        ed25519.PrivateKey // snapshot and timestamp
}

func signer(k ed25519.PrivateKey) (signature.Signer, error) {
	if len(k) != ed25519.PrivateKeySize {
		return nil, errors.New("not an Ed25519 private key")
	}
	return signature.LoadED25519Signer(k)
}

func tufKey(k ed25519.PrivateKey) (*metadata.Key, error) {
	return metadata.KeyFromPublicKey(k.Public().(crypto.PublicKey))
}

// Init makes version 1 of every role, root signed by every root key given.
func Init(k Keys, exp Expiry, now time.Time) (*Repo, []File, error) {
	if len(k.Root) == 0 || k.Targets == nil || k.Online == nil {
		return nil, nil, errors.New("a repository needs root, targets and online keys")
	}
	if k.RootThreshold <= 0 {
		k.RootThreshold = len(k.Root)
	}
	if k.RootThreshold > len(k.Root) {
		return nil, nil, fmt.Errorf("root threshold %d exceeds the %d root keys given", k.RootThreshold, len(k.Root))
	}
	now = now.UTC()
	r := &Repo{Expiry: exp}
	r.Root = metadata.Root(now.Add(exp.Root).Truncate(time.Second))
	for _, rk := range k.Root {
		key, err := tufKey(rk)
		if err != nil {
			return nil, nil, err
		}
		if err := r.Root.Signed.AddKey(key, metadata.ROOT); err != nil {
			return nil, nil, err
		}
	}
	r.Root.Signed.Roles[metadata.ROOT].Threshold = k.RootThreshold
	for role, key := range map[string]ed25519.PrivateKey{metadata.TARGETS: k.Targets, metadata.SNAPSHOT: k.Online, metadata.TIMESTAMP: k.Online} {
		tk, err := tufKey(key)
		if err != nil {
			return nil, nil, err
		}
		if err := r.Root.Signed.AddKey(tk, role); err != nil {
			return nil, nil, err
		}
	}
	for _, rk := range k.Root {
		if err := sign(r.Root, rk); err != nil {
			return nil, nil, err
		}
	}
	r.Targets = metadata.Targets(now.Add(exp.Targets).Truncate(time.Second))
	r.Snapshot = metadata.Snapshot(now.Add(exp.Snapshot).Truncate(time.Second))
	r.Timestamp = metadata.Timestamp(now.Add(exp.Timestamp).Truncate(time.Second))
	if err := sign(r.Targets, k.Targets); err != nil {
		return nil, nil, err
	}
	files, err := r.resignOnline(k.Online, now, false)
	if err != nil {
		return nil, nil, err
	}
	rootFile, err := fileOf(r.Root, metadata.ROOT, r.Root.Signed.Version, true)
	if err != nil {
		return nil, nil, err
	}
	targetsFile, err := fileOf(r.Targets, metadata.TARGETS, r.Targets.Signed.Version, true)
	if err != nil {
		return nil, nil, err
	}
	return r, append([]File{rootFile, targetsFile}, files...), nil
}

// sign replaces the signatures of m by one with k.
func sign[T metadata.Roles](m *metadata.Metadata[T], k ed25519.PrivateKey) error {
	s, err := signer(k)
	if err != nil {
		return err
	}
	if _, err := m.Sign(s); err != nil {
		return fmt.Errorf("sign: %w", err)
	}
	return nil
}

func fileOf[T metadata.Roles](m *metadata.Metadata[T], role string, version int64, versioned bool) (File, error) {
	body, err := m.ToBytes(false)
	if err != nil {
		return File{}, err
	}
	name := role + ".json"
	if versioned {
		name = fmt.Sprintf("%d.%s", version, name)
	}
	return File{Name: name, Role: role, Version: version, Body: body}, nil
}

// Load reads a repository's current metadata.
func Load(root, targets, snapshot, timestamp []byte, exp Expiry) (*Repo, error) {
	r := &Repo{Expiry: exp}
	var err error
	if r.Root, err = metadata.Root().FromBytes(root); err != nil {
		return nil, fmt.Errorf("root metadata: %w", err)
	}
	if r.Targets, err = metadata.Targets().FromBytes(targets); err != nil {
		return nil, fmt.Errorf("targets metadata: %w", err)
	}
	if r.Snapshot, err = metadata.Snapshot().FromBytes(snapshot); err != nil {
		return nil, fmt.Errorf("snapshot metadata: %w", err)
	}
	if r.Timestamp, err = metadata.Timestamp().FromBytes(timestamp); err != nil {
		return nil, fmt.Errorf("timestamp metadata: %w", err)
	}
	return r, nil
}

// resignOnline makes a new snapshot (when bump, or always: the snapshot names the targets
// version) and timestamp, signed with the online key.
func (r *Repo) resignOnline(online ed25519.PrivateKey, now time.Time, bump bool) ([]File, error) {
	if bump {
		r.Snapshot.Signed.Version++
	}
	r.Snapshot.Signed.Meta["targets.json"] = metadata.MetaFile(r.Targets.Signed.Version)
	r.Snapshot.Signed.Expires = now.Add(r.Expiry.Snapshot).Truncate(time.Second)
	r.Snapshot.ClearSignatures()
	if err := sign(r.Snapshot, online); err != nil {
		return nil, err
	}
	snap, err := fileOf(r.Snapshot, metadata.SNAPSHOT, r.Snapshot.Signed.Version, true)
	if err != nil {
		return nil, err
	}
	ts, err := r.resignTimestamp(online, now, bump, snap.Body)
	if err != nil {
		return nil, err
	}
	return []File{snap, ts}, nil
}

func (r *Repo) resignTimestamp(online ed25519.PrivateKey, now time.Time, bump bool, snapshot []byte) (File, error) {
	if bump {
		r.Timestamp.Signed.Version++
	}
	sum := sha256.Sum256(snapshot)
	r.Timestamp.Signed.Meta["snapshot.json"] = &metadata.MetaFiles{Version: r.Snapshot.Signed.Version, Length: int64(len(snapshot)), Hashes: metadata.Hashes{"sha256": sum[:]}}
	r.Timestamp.Signed.Expires = now.Add(r.Expiry.Timestamp).Truncate(time.Second)
	r.Timestamp.ClearSignatures()
	if err := sign(r.Timestamp, online); err != nil {
		return File{}, err
	}
	return fileOf(r.Timestamp, metadata.TIMESTAMP, r.Timestamp.Signed.Version, false)
}

// Artifact is what to publish: its file name, digest and length (the bytes stay with the
// caller), and what it is.
type Artifact struct {
	Name          string // file name within the hardware class and version
	SHA256        []byte
	Length        int64
	Version       string
	HardwareClass string
	ContentType   string
	Reference     string
}

// TargetPath is where a release's artifact stands in the repository.
func TargetPath(hardwareClass, version, name string) string {
	return hardwareClass + "/" + version + "/" + name
}

func checkSegment(what, s string) error {
	if s == "" || s == "." || s == ".." || strings.ContainsAny(s, "/\\\x00") || len(s) > 128 {
		return fmt.Errorf("%s %q: give a non-empty name of at most 128 characters without slashes", what, s)
	}
	for _, c := range s {
		if c < 0x20 || c == 0x7f {
			return fmt.Errorf("%s %q: control characters are not allowed", what, s)
		}
	}
	return nil
}

// Counter returns the highest release counter of the hardware class (0 when none).
func (r *Repo) Counter(hardwareClass string) int64 {
	var n int64
	for _, tf := range r.Targets.Signed.Targets {
		if rel, err := ReleaseOf(tf); err == nil && rel.HardwareClass == hardwareClass && rel.Counter > n {
			n = rel.Counter
		}
	}
	return n
}

// Find returns the target of a hardware class's version (the release, not a rollback).
func (r *Repo) Find(hardwareClass, version string) (string, *metadata.TargetFiles, Release, error) {
	for p, tf := range r.Targets.Signed.Targets {
		rel, err := ReleaseOf(tf)
		if err == nil && rel.HardwareClass == hardwareClass && rel.Version == version && rel.RollbackOf == "" {
			return p, tf, rel, nil
		}
	}
	return "", nil, Release{}, fmt.Errorf("no release %s for hardware class %s in the repository: publish it first", version, hardwareClass)
}

// Publish adds an artifact as a new target (next release counter of its hardware class) and
// signs new targets, snapshot and timestamp metadata.
func (r *Repo) Publish(a Artifact, targetsKey, online ed25519.PrivateKey, now time.Time) (string, Release, []File, error) {
	for _, c := range []struct{ what, s string }{{"name", a.Name}, {"version", a.Version}, {"hardware class", a.HardwareClass}} {
		if err := checkSegment(c.what, c.s); err != nil {
			return "", Release{}, nil, err
		}
	}
	switch a.ContentType {
	case "":
		a.ContentType = ContentCode
	case ContentCode, ContentConfiguration, ContentSignatureData:
	default:
		return "", Release{}, nil, fmt.Errorf("content type %q: use %q, %q or %q", a.ContentType, ContentCode, ContentConfiguration, ContentSignatureData)
	}
	if len(a.SHA256) != sha256.Size || a.Length < 0 {
		return "", Release{}, nil, errors.New("an artifact needs its SHA-256 digest and length")
	}
	if _, _, _, err := r.Find(a.HardwareClass, a.Version); err == nil {
		return "", Release{}, nil, fmt.Errorf("version %s of hardware class %s is already published: publish a new version", a.Version, a.HardwareClass)
	}
	rel := Release{Version: a.Version, HardwareClass: a.HardwareClass, Counter: r.Counter(a.HardwareClass) + 1, ContentType: a.ContentType, Reference: a.Reference}
	p := TargetPath(a.HardwareClass, a.Version, a.Name)
	files, err := r.addTarget(p, a.SHA256, a.Length, rel, targetsKey, online, now)
	return p, rel, files, err
}

// Rollback points the hardware class back to the release prev: a new target with prev's bytes
// and the next release counter, in a new, higher targets version, so that devices which
// installed the halted release accept it and no metadata goes back in version.
func (r *Repo) Rollback(hardwareClass, prev, halted string, targetsKey, online ed25519.PrivateKey, now time.Time) (string, Release, []File, error) {
	p0, tf, old, err := r.Find(hardwareClass, prev)
	if err != nil {
		return "", Release{}, nil, err
	}
	rel := old
	rel.Counter = r.Counter(hardwareClass) + 1
	rel.RollbackOf = halted
	p := TargetPath(hardwareClass, prev, fmt.Sprintf("rollback-%d.%s", rel.Counter, path.Base(p0)))
	files, err := r.addTarget(p, tf.Hashes["sha256"], tf.Length, rel, targetsKey, online, now)
	return p, rel, files, err
}

func (r *Repo) addTarget(p string, sum []byte, length int64, rel Release, targetsKey, online ed25519.PrivateKey, now time.Time) ([]File, error) {
	raw, err := json.Marshal(custom{Siegel: rel})
	if err != nil {
		return nil, err
	}
	msg := json.RawMessage(raw)
	r.Targets.Signed.Targets[p] = &metadata.TargetFiles{Length: length, Hashes: metadata.Hashes{"sha256": sum}, Custom: &msg, Path: p}
	r.Targets.Signed.Version++
	r.Targets.Signed.Expires = now.UTC().Add(r.Expiry.Targets).Truncate(time.Second)
	r.Targets.ClearSignatures()
	if err := sign(r.Targets, targetsKey); err != nil {
		return nil, err
	}
	tf, err := fileOf(r.Targets, metadata.TARGETS, r.Targets.Signed.Version, true)
	if err != nil {
		return nil, err
	}
	online2, err := r.resignOnline(online, now.UTC(), true)
	if err != nil {
		return nil, err
	}
	return append([]File{tf}, online2...), nil
}

// Refresh re-signs the online roles when less than half of their validity is left (or the
// targets are near expiry and cannot be, which it reports): a device polling a repository in
// which nothing changed must still see fresh metadata, or it refuses it as frozen.
func (r *Repo) Refresh(online ed25519.PrivateKey, now time.Time) ([]File, error) {
	now = now.UTC()
	var files []File
	if r.Snapshot.Signed.Expires.Sub(now) < r.Expiry.Snapshot/2 {
		f, err := r.resignOnline(online, now, true)
		if err != nil {
			return nil, err
		}
		files = append(files, f...)
	} else if r.Timestamp.Signed.Expires.Sub(now) < r.Expiry.Timestamp/2 {
		snap, err := r.Snapshot.ToBytes(false)
		if err != nil {
			return nil, err
		}
		f, err := r.resignTimestamp(online, now, true, snap)
		if err != nil {
			return nil, err
		}
		files = append(files, f)
	}
	return files, nil
}

// KeyID returns the TUF key id of a private key's public half.
func KeyID(k ed25519.PrivateKey) (string, error) {
	key, err := tufKey(k)
	if err != nil {
		return "", err
	}
	return key.ID()
}

// Digest parses an OCI-style digest ("sha256:<64 hex>"), alone or at the end of a reference.
func Digest(ref string) ([]byte, error) {
	_, d, ok := strings.Cut(ref, "@")
	if !ok {
		d = ref
	}
	hexDigest, ok := strings.CutPrefix(d, "sha256:")
	if !ok {
		return nil, fmt.Errorf("reference %q: give a sha256 digest (NAME@sha256:HEX)", ref)
	}
	sum, err := hex.DecodeString(hexDigest)
	if err != nil || len(sum) != sha256.Size {
		return nil, fmt.Errorf("reference %q: the digest is not 64 hexadecimal digits", ref)
	}
	return sum, nil
}
