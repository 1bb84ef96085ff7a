package storetest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib"

	"github.com/siegel-oss/siegel/internal/store"
)

// PostgresAdmin is the server PostgreSQL tests create their databases on: $SIEGEL_TEST_POSTGRES,
// else the local server with trust authentication.
func PostgresAdmin() string {
	if dsn := os.Getenv("SIEGEL_TEST_POSTGRES"); dsn != "" {
		return dsn
	}
	return "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"
}

// EachDialect runs test once on a fresh SQLite store and once on a fresh PostgreSQL database
// (dropped afterwards), as subtests named after the dialect. Without a PostgreSQL server that
// subtest is skipped — or fails when SIEGEL_TEST_POSTGRES_REQUIRED is set, as in CI.
func EachDialect(t *testing.T, now func() time.Time, test func(t *testing.T, st *store.DB)) {
	t.Run("sqlite", func(t *testing.T) {
		st, err := store.OpenSQLite(t.Context(), t.TempDir(), now)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		test(t, st)
	})
	t.Run("postgres", func(t *testing.T) {
		test(t, openPostgres(t, now))
	})
}

func openPostgres(t *testing.T, now func() time.Time) *store.DB {
	admin, err := sql.Open("pgx", PostgresAdmin())
	if err == nil {
		ctx, cancel := context.WithTimeout(t.Context(), 3*time.Second)
		err = admin.PingContext(ctx)
		cancel()
	}
	if err != nil {
		if os.Getenv("SIEGEL_TEST_POSTGRES_REQUIRED") != "" {
			t.Fatalf("PostgreSQL at %s: %v", PostgresAdmin(), err)
		}
		t.Skipf("no PostgreSQL at %s (%v); set SIEGEL_TEST_POSTGRES", PostgresAdmin(), err)
	}
	t.Cleanup(func() { admin.Close() })
	b := make([]byte, 6)
	rand.Read(b)
	name := "siegel_test_" + hex.EncodeToString(b)
	if _, err := admin.ExecContext(t.Context(), "CREATE DATABASE "+name); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { admin.ExecContext(context.Background(), "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)") })
	u, err := url.Parse(PostgresAdmin())
	if err != nil {
		t.Fatal(err)
	}
	u.Path = "/" + name
	st, err := store.OpenPostgres(t.Context(), u.String(), now)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}
