package cli

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/siegel-oss/siegel/internal/store/pgtest"
)

// TestFirstRunRace starts two servers at once on one empty store, on both databases: both must
// come up (the second one used to exit with "admin@localhost already exists"), exactly one of them
// creates and shows the administrator's login, and the store holds one administrator and one
// organization.
func TestFirstRunRace(t *testing.T) {
	for _, tc := range []struct {
		name     string
		database func(t *testing.T) string
	}{
		{"sqlite", func(*testing.T) string { return "" }},
		{"postgres", func(t *testing.T) string { return pgtest.Database(t) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			data, database := t.TempDir(), tc.database(t)
			args := []string{"serve", "--addr", "127.0.0.1:0", "--data", data, "--org", "ACME", "--update-interval", "0", "--db-source", "../vulndb/testdata/osv"}
			if database != "" {
				args = append(args, "--database", database)
			}
			ctx, cancel := context.WithCancel(t.Context())
			defer cancel()
			type started struct {
				serving, login string
				code           int
				stderr         string
			}
			results := make([]started, 2)
			var wg sync.WaitGroup
			var ready sync.WaitGroup
			ready.Add(2)
			for i := range results {
				wg.Go(func() {
					pr, pw := io.Pipe()
					var stderr bytes.Buffer
					done := make(chan int, 1)
					go func() {
						done <- Run(ctx, args, strings.NewReader(""), pw, &stderr, func(string) string { return "" })
						pw.Close()
					}()
					lines := bufio.NewReader(pr)
					r := &results[i]
					r.serving, _ = lines.ReadString('\n')
					if strings.HasPrefix(r.serving, "siegel serving on") {
						// The login line, when this server did the first-run set-up, follows at once.
						next := make(chan string, 1)
						go func() { l, _ := lines.ReadString('\n'); next <- l; io.Copy(io.Discard, lines) }()
						select {
						case r.login = <-next:
						case <-time.After(2 * time.Second):
						}
					}
					ready.Done()
					r.code = <-done
					r.stderr = stderr.String()
				})
			}
			ready.Wait()
			cancel()
			wg.Wait()
			logins := 0
			for i, r := range results {
				if !strings.HasPrefix(r.serving, "siegel serving on") || r.code != 0 {
					t.Errorf("server %d did not start and stop cleanly: %q, exit %d\n%s", i+1, r.serving, r.code, r.stderr)
				}
				if strings.HasPrefix(r.login, "first run: log in as admin@localhost") {
					logins++
				}
			}
			if logins != 1 {
				t.Errorf("%d servers showed a first-run login, want 1: %+v", logins, results)
			}
			st, err := openStore(t.Context(), &Env{Now: time.Now}, data, database)
			if err != nil {
				t.Fatal(err)
			}
			defer st.Close()
			if n, err := st.Users(t.Context()); err != nil || n != 1 {
				t.Errorf("users after two first runs: %d, %v", n, err)
			}
			if _, err := st.OrganizationByName(t.Context(), "ACME"); err != nil {
				t.Errorf("the organization: %v", err)
			}
		})
	}
}
