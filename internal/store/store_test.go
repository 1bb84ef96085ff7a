package store_test

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"os"
	"testing"
	"time"

	"github.com/siegel-oss/siegel/internal/store"
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

// postgresAdmin is the server the PostgreSQL tests create their databases on. CI (.ci/run)
// starts one and sets SIEGEL_TEST_POSTGRES_REQUIRED, so that a missing server fails the run
// there instead of skipping.
func postgresAdmin() string {
	if dsn := os.Getenv("SIEGEL_TEST_POSTGRES"); dsn != "" {
		return dsn
	}
	return "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"
}

func TestPostgres(t *testing.T) {
	admin, err := sql.Open("pgx", postgresAdmin())
	if err == nil {
		ctx, cancel := context.WithTimeout(t.Context(), 3*time.Second)
		err = admin.PingContext(ctx)
		cancel()
	}
	if err != nil {
		if os.Getenv("SIEGEL_TEST_POSTGRES_REQUIRED") != "" {
			t.Fatalf("PostgreSQL at %s: %v", postgresAdmin(), err)
		}
		t.Skipf("no PostgreSQL at %s (%v); set SIEGEL_TEST_POSTGRES", postgresAdmin(), err)
	}
	defer admin.Close()
	storetest.Run(t, func(t *testing.T) *store.DB {
		// One database per test, dropped afterwards.
		b := make([]byte, 6)
		rand.Read(b)
		name := "siegel_test_" + hex.EncodeToString(b)
		if _, err := admin.ExecContext(t.Context(), "CREATE DATABASE "+name); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { admin.ExecContext(context.Background(), "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)") })
		u := postgresDSN(postgresAdmin(), name)
		s, err := store.OpenPostgres(t.Context(), u, clock)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	})
}
