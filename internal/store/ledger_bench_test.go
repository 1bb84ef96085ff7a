package store_test

import (
	"fmt"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/siegel-oss/siegel/internal/ledger"
	"github.com/siegel-oss/siegel/internal/store"
)

// BenchmarkLedgerAppend appends statements in batches of 500 per transaction on SQLite; the
// figure that matters is appends per second (reported as appends/s).
func BenchmarkLedgerAppend(b *testing.B) {
	st, err := store.OpenSQLite(b.Context(), b.TempDir(), time.Now)
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	batch := make([]store.LedgerItem, 500)
	for i := range batch {
		batch[i] = store.LedgerItem{Type: ledger.VEXDecision, Subject: fmt.Sprintf("release/%d", i), Content: map[string]any{"status": "not_affected", "i": i}}
	}
	n := 0
	start := time.Now()
	for b.Loop() {
		if err := st.LedgerAppend(b.Context(), batch); err != nil {
			b.Fatal(err)
		}
		n += len(batch)
	}
	b.ReportMetric(float64(n)/time.Since(start).Seconds(), "appends/s")
}

// BenchmarkLedgerProof measures an inclusion proof, a bundle of one statement (with the signed
// checkpoint it proves against) and the offline check of a 1,000-statement bundle, in a log of
// 100,000 entries, or SIEGEL_BENCH_LEDGER_SIZE.
func BenchmarkLedgerProof(b *testing.B) {
	st, err := store.OpenSQLite(b.Context(), b.TempDir(), time.Now)
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	size := int64(100_000)
	if v, err := strconv.ParseInt(os.Getenv("SIEGEL_BENCH_LEDGER_SIZE"), 10, 64); err == nil && v >= 2000 {
		size = v
	}
	const batchSize = 1000
	for i := int64(0); i < size; i += batchSize {
		batch := make([]store.LedgerItem, batchSize)
		for j := range batch {
			subject := fmt.Sprintf("release/%d", i+int64(j))
			if i == 0 {
				subject = "case/1" // the first 1,000 statements: one subject, for the bundle check
			}
			batch[j] = store.LedgerItem{Organization: 1, Type: ledger.SBOMPublished, Subject: subject, Content: i + int64(j)}
		}
		if err := st.LedgerAppend(b.Context(), batch); err != nil {
			b.Fatal(err)
		}
	}
	b.Run("inclusion-proof", func(b *testing.B) {
		i := int64(0)
		for b.Loop() {
			if _, err := st.LedgerProof(b.Context(), (i*7919)%size, size); err != nil {
				b.Fatal(err)
			}
			i++
		}
	})
	b.Run("bundle-of-one", func(b *testing.B) {
		i := 0
		for b.Loop() {
			bundle, err := st.LedgerBundle(b.Context(), 0, fmt.Sprintf("release/%d", 1000+(int64(i)*7919)%(size-1000)), false)
			if err != nil || len(bundle.Entries) != 1 {
				b.Fatal(err)
			}
			i++
		}
	})
	b.Run("verify-1000", func(b *testing.B) {
		bundle, err := st.LedgerBundle(b.Context(), 0, "case/1", true)
		if err != nil || len(bundle.Entries) != 1000 {
			b.Fatal(err, len(bundle.Entries))
		}
		for b.Loop() {
			if _, err := ledger.Verify(bundle); err != nil {
				b.Fatal(err)
			}
		}
	})
}
