package storetest

import (
	"fmt"
	"testing"
	"time"

	"github.com/siegel-oss/siegel/internal/store"
)

// testLoginThrottle: counters are per key, reset when their window ends, shared by every
// connection (each server has its own), and old rows are deleted so the table stays bounded.
func testLoginThrottle(t *testing.T, s *store.DB) {
	ctx := t.Context()
	t0 := time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)
	account := store.Throttle{Key: "account:alice@example.com", Limit: 3, Window: 15 * time.Minute}
	client := store.Throttle{Key: "client:192.0.2.7", Limit: 5, Window: time.Minute}
	for i := range 3 {
		if wait := must(s.CountLoginAttempt(ctx, t0.Add(time.Duration(i)*time.Second), account, client)); wait != 0 {
			t.Fatalf("attempt %d: wait %s, want none", i+1, wait)
		}
	}
	wait := must(s.CountLoginAttempt(ctx, t0.Add(10*time.Second), account, client))
	if wait != 15*time.Minute-10*time.Second {
		t.Errorf("fourth attempt on the account: wait %s, want the rest of its window (14m50s)", wait)
	}
	// Another account from the same client counts against the client only.
	other := store.Throttle{Key: "account:bob@example.com", Limit: 3, Window: 15 * time.Minute}
	if wait := must(s.CountLoginAttempt(ctx, t0.Add(11*time.Second), other, client)); wait != 0 {
		t.Errorf("fifth attempt from the client: wait %s", wait)
	}
	if wait := must(s.CountLoginAttempt(ctx, t0.Add(12*time.Second), other, client)); wait != 48*time.Second {
		t.Errorf("sixth attempt from the client: wait %s, want 48s", wait)
	}
	// The client's window ends after a minute; the account's goes on.
	if wait := must(s.CountLoginAttempt(ctx, t0.Add(61*time.Second), other, client)); wait != 0 {
		t.Errorf("after the client's window: wait %s", wait)
	}
	if wait := must(s.CountLoginAttempt(ctx, t0.Add(62*time.Second), account)); wait == 0 {
		t.Error("the account's window ended early")
	}
	// A good login resets the account.
	if err := s.ResetLoginAttempts(ctx, account.Key); err != nil {
		t.Fatal(err)
	}
	if wait := must(s.CountLoginAttempt(ctx, t0.Add(63*time.Second), account)); wait != 0 {
		t.Errorf("after reset: wait %s", wait)
	}
	// A call with only a short window does not delete the longer windows of other keys.
	must(s.CountLoginAttempt(ctx, t0.Add(64*time.Second), account))
	must(s.CountLoginAttempt(ctx, t0.Add(65*time.Second), account))
	must(s.CountLoginAttempt(ctx, t0.Add(5*time.Minute), client))
	if wait := must(s.CountLoginAttempt(ctx, t0.Add(5*time.Minute), account)); wait == 0 {
		t.Error("a client's attempt deleted an account's counter")
	}
	// Many clients: rows older than MaxThrottleWindow are deleted, so the table stays bounded.
	for i := range 200 {
		c := store.Throttle{Key: fmt.Sprintf("client:198.51.100.%d", i), Limit: 5, Window: time.Minute}
		must(s.CountLoginAttempt(ctx, t0.Add(2*time.Hour), c))
	}
	if n := must(s.LoginThrottleRows(ctx)); n != 200 {
		t.Errorf("%d rows after 200 clients, want 200 (the earlier windows deleted)", n)
	}
	last := store.Throttle{Key: "client:203.0.113.1", Limit: 5, Window: time.Minute}
	must(s.CountLoginAttempt(ctx, t0.Add(3*time.Hour+time.Second), last))
	if n := must(s.LoginThrottleRows(ctx)); n != 1 {
		t.Errorf("%d rows an hour later, want 1", n)
	}
}
