package store_test

import (
	"testing"
	"time"

	"github.com/siegel-oss/siegel/internal/store"
	"github.com/siegel-oss/siegel/internal/store/pgtest"
	"github.com/siegel-oss/siegel/internal/store/storetest"
)

var clock = func() time.Time { return time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC) }

func TestSQLite(t *testing.T) {
	storetest.Run(t, func(t *testing.T) *store.DB {
		s, err := store.OpenSQLite(t.Context(), t.TempDir(), clock)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	})
}

func TestPostgres(t *testing.T) {
	pgtest.Database(t) // skips the whole test, before any subtest, when there is no server
	storetest.Run(t, func(t *testing.T) *store.DB {
		// One database per test, dropped afterwards.
		s, err := store.OpenPostgres(t.Context(), pgtest.Database(t), clock)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	})
}
