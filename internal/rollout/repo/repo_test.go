package repo

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/theupdateframework/go-tuf/v2/metadata"
	"github.com/theupdateframework/go-tuf/v2/metadata/trustedmetadata"
)

// latest returns the newest file of each role among the changes so far.
func latest(files ...[]File) map[string][]byte {
	out := map[string][]byte{}
	for _, fs := range files {
		for _, f := range fs {
			out[f.Role] = f.Body
		}
	}
	return out
}

// verify loads the metadata as a TUF client does, from the trusted root, at time now.
func verify(t *testing.T, root []byte, cur map[string][]byte, now time.Time) *metadata.Metadata[metadata.TargetsType] {
	t.Helper()
	tm, err := trustedmetadata.New(root)
	if err != nil {
		t.Fatal(err)
	}
	tm.RefTime = now
	if _, err := tm.UpdateTimestamp(cur["timestamp"]); err != nil {
		t.Fatalf("timestamp: %v", err)
	}
	if _, err := tm.UpdateSnapshot(cur["snapshot"], false); err != nil {
		t.Fatalf("snapshot: %v", err)
	}
	tg, err := tm.UpdateTargets(cur["targets"])
	if err != nil {
		t.Fatalf("targets: %v", err)
	}
	return tg
}

func TestPublishRollbackRefresh(t *testing.T) {
	now := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	r1, r2, tk, online := NewKey(), NewKey(), NewKey(), NewKey()
	r, init, err := Init(Keys{Root: []ed25519.PrivateKey{r1, r2}, RootThreshold: 2, Targets: tk, Online: online}, DefaultExpiry, now)
	if err != nil {
		t.Fatal(err)
	}
	root := latest(init)["root"]
	if r.Root.Signed.Roles["root"].Threshold != 2 || len(r.Root.Signatures) != 2 {
		t.Fatalf("root: threshold %d, %d signatures", r.Root.Signed.Roles["root"].Threshold, len(r.Root.Signatures))
	}
	img1, img2 := []byte("image one"), []byte("image two")
	sum1, sum2 := sha256.Sum256(img1), sha256.Sum256(img2)
	p1, rel1, f1, err := r.Publish(Artifact{Name: "fw.bin", SHA256: sum1[:], Length: int64(len(img1)), Version: "1.0", HardwareClass: "hw"}, tk, online, now)
	if err != nil {
		t.Fatal(err)
	}
	p2, rel2, f2, err := r.Publish(Artifact{Name: "fw.bin", SHA256: sum2[:], Length: int64(len(img2)), Version: "2.0", HardwareClass: "hw", ContentType: ContentConfiguration}, tk, online, now)
	if err != nil {
		t.Fatal(err)
	}
	if p1 != "hw/1.0/fw.bin" || rel1.Counter != 1 || rel2.Counter != 2 || rel2.ContentType != ContentConfiguration {
		t.Errorf("published %s %+v, %s %+v", p1, rel1, p2, rel2)
	}
	// Another hardware class counts on its own.
	if _, rel, _, err := r.Publish(Artifact{Name: "fw.bin", SHA256: sum1[:], Length: 9, Version: "1.0", HardwareClass: "hw-b"}, tk, online, now); err != nil || rel.Counter != 1 {
		t.Errorf("other class: %+v %v", rel, err)
	}
	cur := latest(init, f1, f2)
	before := r.Targets.Signed.Version
	tg := verify(t, root, cur, now)
	if got := tg.Signed.Targets[p2]; got == nil || got.Length != int64(len(img2)) || !bytes.Equal(got.Hashes["sha256"], sum2[:]) {
		t.Errorf("verified target %s: %+v", p2, got)
	}
	for _, bad := range []Artifact{
		{Name: "fw.bin", SHA256: sum1[:], Length: 9, Version: "2.0", HardwareClass: "hw"},                               // published already
		{Name: "../x", SHA256: sum1[:], Length: 9, Version: "3.0", HardwareClass: "hw"},                                 // path
		{Name: "fw.bin", SHA256: sum1[:], Length: 9, Version: "3.0", HardwareClass: "hw", ContentType: "kernel module"}, // type
		{Name: "fw.bin", SHA256: sum1[:4], Length: 9, Version: "3.0", HardwareClass: "hw"},                              // digest
		{Name: "fw.bin", SHA256: sum1[:], Length: 9, Version: "3.0", HardwareClass: "h/w"},                              // class
	} {
		if _, _, _, err := r.Publish(bad, tk, online, now); err == nil {
			t.Errorf("published %+v", bad)
		}
	}
	// Rollback: the old image under a new target with the next counter, in a higher targets version.
	pr, relr, fr, err := r.Rollback("hw", "1.0", "2.0", tk, online, now.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	tg = verify(t, root, latest(init, f1, f2, fr), now.Add(time.Hour))
	got := tg.Signed.Targets[pr]
	if pr != "hw/1.0/rollback-3.fw.bin" || relr.Counter != 3 || relr.Version != "1.0" || relr.RollbackOf != "2.0" || got == nil || !bytes.Equal(got.Hashes["sha256"], sum1[:]) {
		t.Errorf("rollback %s %+v %+v", pr, relr, got)
	}
	if tg.Signed.Version <= before {
		t.Errorf("targets version %d after the rollback, %d before", tg.Signed.Version, before)
	}
	// The online roles are re-signed before they expire; nothing when fresh.
	if fs, _ := r.Refresh(online, now.Add(2*time.Hour)); len(fs) != 0 {
		t.Errorf("refreshed fresh metadata: %v", fs)
	}
	ts := r.Timestamp.Signed.Version
	fs, err := r.Refresh(online, now.Add(20*time.Hour))
	if err != nil || len(fs) != 1 || r.Timestamp.Signed.Version != ts+1 {
		t.Fatalf("timestamp refresh: %v %v", fs, err)
	}
	verify(t, root, latest(init, f1, f2, fr, fs), now.Add(30*time.Hour))
	fs2, err := r.Refresh(online, now.Add(5*24*time.Hour))
	if err != nil || len(fs2) != 2 {
		t.Fatalf("snapshot refresh: %v %v", fs2, err)
	}
	verify(t, root, latest(init, f1, f2, fr, fs, fs2), now.Add(5*24*time.Hour))
	// A client whose clock is past the timestamp's expiry refuses it (freeze).
	tm, _ := trustedmetadata.New(root)
	tm.RefTime = now.Add(10 * 24 * time.Hour)
	if _, err := tm.UpdateTimestamp(latest(init, f1, f2, fr, fs, fs2)["timestamp"]); !errors.As(err, new(*metadata.ErrExpiredMetadata)) {
		t.Errorf("expired timestamp accepted: %v", err)
	}
}

func TestRootBelowThreshold(t *testing.T) {
	r1, r2 := NewKey(), NewKey()
	_, init, err := Init(Keys{Root: []ed25519.PrivateKey{r1, r2}, RootThreshold: 2, Targets: NewKey(), Online: NewKey()}, DefaultExpiry, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	root, err := metadata.Root().FromBytes(latest(init)["root"])
	if err != nil {
		t.Fatal(err)
	}
	root.Signatures = root.Signatures[:1]
	one, _ := root.ToBytes(false)
	if _, err := trustedmetadata.New(one); !errors.As(err, new(*metadata.ErrUnsignedMetadata)) {
		t.Errorf("root with one of two signatures: %v", err)
	}
	if _, _, err := Init(Keys{Root: []ed25519.PrivateKey{r1}, RootThreshold: 2, Targets: NewKey(), Online: NewKey()}, DefaultExpiry, time.Now()); err == nil {
		t.Error("a threshold above the keys given was accepted")
	}
}

func TestKeyFiles(t *testing.T) {
	p := t.TempDir() + "/k.pem"
	k, err := WriteNewKeyFile(p)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := WriteNewKeyFile(p); err == nil {
		t.Error("an existing key file was overwritten")
	}
	got, err := ReadKeyFile(p)
	if err != nil || !got.Equal(k) {
		t.Errorf("read back: %v", err)
	}
}

func TestDigest(t *testing.T) {
	h := strings.Repeat("ab", 32)
	for ref, ok := range map[string]bool{"registry.example/fw@sha256:" + h: true, "sha256:" + h: true, "fw@sha512:" + h: false, "fw@sha256:" + h[:10]: false, "fw:latest": false} {
		if _, err := Digest(ref); (err == nil) != ok {
			t.Errorf("Digest(%q): %v", ref, err)
		}
	}
}

func FuzzDigest(f *testing.F) {
	f.Add("registry.example/fw@sha256:" + strings.Repeat("0", 64))
	f.Add("sha256:zz")
	f.Fuzz(func(t *testing.T, ref string) {
		if sum, err := Digest(ref); err == nil && len(sum) != sha256.Size {
			t.Fatalf("digest of %d bytes", len(sum))
		}
	})
}

func FuzzDecodeKey(f *testing.F) {
	pemKey, _ := EncodeKey(NewKey())
	f.Add(pemKey)
	f.Add([]byte("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		if k, err := DecodeKey(data); err == nil && len(k) != ed25519.PrivateKeySize {
			t.Fatalf("key of %d bytes", len(k))
		}
	})
}

func FuzzReleaseOf(f *testing.F) {
	f.Add([]byte(`{"siegel":{"version":"1.0","hardwareClass":"hw","releaseCounter":1,"contentType":"code"}}`))
	f.Add([]byte(`{"siegel":{"releaseCounter":-1}}`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, data []byte) {
		raw := json.RawMessage(data)
		rel, err := ReleaseOf(&metadata.TargetFiles{Path: "x", Custom: &raw})
		if err == nil && (rel.Counter <= 0 || rel.Version == "" || rel.HardwareClass == "") {
			t.Fatalf("accepted %+v", rel)
		}
	})
}
