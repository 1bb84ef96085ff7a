// Package pgtest gives tests a PostgreSQL database of their own on the server named by
// SIEGEL_TEST_POSTGRES (default postgres://postgres@127.0.0.1:5432/postgres). Without a server a
// test skips, unless SIEGEL_TEST_POSTGRES_REQUIRED is set (as CI does): then it fails, so CI never
// passes by skipping.
package pgtest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // PostgreSQL driver "pgx"
)

// Admin is the server tests create their databases on.
func Admin() string {
	if dsn := os.Getenv("SIEGEL_TEST_POSTGRES"); dsn != "" {
		return dsn
	}
	return "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"
}

// Database creates an empty database, dropped when the test ends, and returns its URL.
func Database(t testing.TB) string {
	t.Helper()
	admin, err := sql.Open("pgx", Admin())
	if err == nil {
		// Whether a server answers at all: a missing one refuses at once, and a loaded machine
		// (connections took up to 1.6 s at load average 17) must not read as a missing server.
		ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
		err = admin.PingContext(ctx)
		cancel()
	}
	if err != nil {
		if os.Getenv("SIEGEL_TEST_POSTGRES_REQUIRED") != "" {
			t.Fatalf("PostgreSQL at %s: %v", Admin(), err)
		}
		t.Skipf("no PostgreSQL at %s (%v); set SIEGEL_TEST_POSTGRES", Admin(), err)
	}
	b := make([]byte, 6)
	rand.Read(b)
	name := "siegel_test_" + hex.EncodeToString(b)
	if _, err := admin.ExecContext(t.Context(), "CREATE DATABASE "+name); err != nil {
		admin.Close()
		t.Fatal(err)
	}
	t.Cleanup(func() {
		admin.ExecContext(context.Background(), "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
		admin.Close()
	})
	u, err := url.Parse(Admin())
	if err != nil {
		t.Fatal(err)
	}
	u.Path = "/" + name
	return u.String()
}
