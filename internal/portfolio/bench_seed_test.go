package portfolio

import (
	"context"
	"fmt"
	"os"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/siegel-oss/siegel/internal/store"
	"github.com/siegel-oss/siegel/internal/store/bulkload"
)

// Seeding millions of occurrences takes minutes, so a seeded store is kept between runs
// (bulkload.KeptSQLite, bulkload.KeptPostgres): a SQLite directory under SIEGEL_BENCH_CACHE
// (default the temporary directory's siegel-bench), a PostgreSQL database named
// siegel_bench_<key>. The key covers the shape, the seed's version and the store's migrations,
// so a changed schema or seed is seeded anew. Remove the directory or drop the databases to
// reclaim the space.

// seedVersion changes whenever seed generates different rows.
const seedVersion = "2"

// benchDSN is the PostgreSQL database the benchmark uses.
var benchDSN string

// openSeeded returns a store of the dialect seeded with shape s, seeding it unless a seeded one
// of the same key is kept from an earlier run.
func openSeeded(b *testing.B, dialect string, s shape) *store.DB {
	if os.Getenv("SIEGEL_BENCH_PORTFOLIO") == "" {
		b.Skip("set SIEGEL_BENCH_PORTFOLIO=1 to seed millions of occurrences and run this benchmark")
	}
	ctx := context.Background()
	key, err := bulkload.Key(store.Dialect(dialect), fmt.Sprintf("portfolio %s %+v", seedVersion, s))
	if err != nil {
		b.Fatal(err)
	}
	fill := func(l bulkload.Loader) error { seed(b, l, s); return nil }
	var st *store.DB
	var rep *bulkload.Report
	switch dialect {
	case "sqlite":
		var dir string
		if dir, rep, err = bulkload.KeptSQLite(ctx, key, benchClock, fill); err != nil {
			b.Fatal(err)
		}
		if st, err = store.OpenSQLite(ctx, dir, benchClock); err != nil {
			b.Fatal(err)
		}
	case "postgres":
		admin := os.Getenv("SIEGEL_TEST_POSTGRES")
		if admin == "" {
			admin = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"
		}
		if conn, err := pgx.Connect(ctx, admin); err != nil {
			b.Skipf("no PostgreSQL at %s: %v", admin, err)
		} else {
			conn.Close(ctx)
		}
		if benchDSN, rep, err = bulkload.KeptPostgres(ctx, admin, key, benchClock, fill); err != nil {
			b.Fatal(err)
		}
		if st, err = store.OpenPostgres(ctx, benchDSN, benchClock); err != nil {
			b.Fatal(err)
		}
	}
	if rep != nil {
		b.Logf("%s: seeded %d releases, %d occurrences: %v", dialect, s.releases(), s.releases()*s.perRelease, rep)
	} else {
		b.Logf("%s: %d occurrences seeded earlier", dialect, s.releases()*s.perRelease)
	}
	b.Cleanup(func() { st.Close() })
	return st
}
