package app

import (
	"errors"
	"os"
	"testing"

	"github.com/siegel-oss/siegel/internal/vulndb"
	"github.com/siegel-oss/siegel/internal/vulndb/vulndbtest"
)

// OpenVulnDB keeps a SQLite database open while it is the file at its path: a file renamed over
// it (as a bundle import does) is read from the next use on, the replaced one stays readable
// for the uses that hold it and is closed when the last of them is released, and a removed
// file is no database.
func TestOpenVulnDBKeepsTheFile(t *testing.T) {
	ctx := t.Context()
	dir := t.TempDir()
	if err := vulndbtest.Open(t).Export(ctx, vulndb.File(dir)); err != nil {
		t.Fatal(err)
	}
	d := &Deps{Config: Config{VulnDB: dir}}
	t.Cleanup(func() { d.Close() })
	imports := func(db *vulndb.DB) int {
		t.Helper()
		h, err := db.Holdings(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return len(h.Imports)
	}

	first, release1, err := d.OpenVulnDB(ctx)
	if err != nil {
		t.Fatal(err)
	}
	again, release2, err := d.OpenVulnDB(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if again != first {
		t.Error("the same file was opened twice")
	}
	release2()
	if imports(first) == 0 {
		t.Fatal("the fixture database holds no import")
	}

	// An empty database takes the path, as a bundle import's rename does.
	other := t.TempDir()
	empty, err := vulndb.Open(ctx, other, true)
	if err != nil {
		t.Fatal(err)
	}
	empty.Close()
	if err := os.Rename(vulndb.File(other), vulndb.File(dir)); err != nil {
		t.Fatal(err)
	}
	next, release3, err := d.OpenVulnDB(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if next == first || imports(next) != 0 {
		t.Errorf("after the rename the kept handle reads the replaced file (%d imports)", imports(next))
	}
	// The replaced file stays readable for the use that holds it, and is closed after it.
	if imports(first) == 0 {
		t.Error("the replaced file's handle changed while in use")
	}
	// Closing the replaced file leaves the write-ahead log at the path alone: it is the new
	// file's now (SQLite sees that its file moved and neither checkpoints nor deletes).
	if _, err := os.Stat(vulndb.File(dir) + "-wal"); err != nil {
		t.Fatalf("the new file has no write-ahead log open: %v", err)
	}
	release1()
	release1() // releasing twice releases once
	if _, err := os.Stat(vulndb.File(dir) + "-wal"); err != nil {
		t.Errorf("closing the replaced file removed the new one's write-ahead log: %v", err)
	}
	if _, err := first.Holdings(ctx); err == nil {
		t.Error("the replaced file is still open after its last use")
	}
	release3()
	if _, err := next.Holdings(ctx); err != nil {
		t.Errorf("the kept file was closed: %v", err)
	}

	// No file, no database; a file that comes back is opened again.
	if err := os.Remove(vulndb.File(dir)); err != nil {
		t.Fatal(err)
	}
	if _, _, err := d.OpenVulnDB(ctx); !errors.Is(err, vulndb.ErrNoDatabase) {
		t.Errorf("without the file: %v, want ErrNoDatabase", err)
	}
	if _, err := next.Holdings(ctx); err == nil {
		t.Error("the removed file is still open")
	}
	if err := vulndbtest.Open(t).Export(ctx, vulndb.File(dir)); err != nil {
		t.Fatal(err)
	}
	back, release4, err := d.OpenVulnDB(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer release4()
	if imports(back) == 0 {
		t.Error("the file that came back is not read")
	}
}

// BenchmarkHoldings reads what a SQLite vulnerability database holds, as every signed-in page
// does for its banner:
//
//	go test ./internal/server/app/ -run '^$' -bench Holdings
func BenchmarkHoldings(b *testing.B) {
	dir := b.TempDir()
	if err := vulndbtest.Open(b).Export(b.Context(), vulndb.File(dir)); err != nil {
		b.Fatal(err)
	}
	d := &Deps{Config: Config{VulnDB: dir}}
	defer d.Close()
	for b.Loop() {
		if _, err := d.Holdings(b.Context()); err != nil {
			b.Fatal(err)
		}
	}
}
