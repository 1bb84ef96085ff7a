package conformity

import (
	"context"
	"testing"
	"time"

	"github.com/siegel-oss/siegel/internal/store"
)

// TestKeyRetriedAfterFailure: a key that failed to load (here: a cancelled request) is not
// remembered; the next call loads it, and later calls return the same key.
func TestKeyRetriedAfterFailure(t *testing.T) {
	st, err := store.OpenSQLite(t.Context(), t.TempDir(), func() time.Time { return time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC) })
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	s := &Service{Store: st}
	cancelled, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := s.Key(cancelled); err == nil {
		t.Fatal("a cancelled request loaded the key")
	}
	k1, err := s.Key(t.Context())
	if err != nil {
		t.Fatalf("the key does not load after one failure: %v", err)
	}
	k2, err := s.Key(t.Context())
	if err != nil || !k1.Equal(k2) {
		t.Fatalf("a second call gives another key or fails: %v", err)
	}
}
