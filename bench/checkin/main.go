// Command checkin measures device check-ins (polls for an assignment) against one Siegel server:
// it seeds a store with a product, its signed update repository, a fleet of devices and a running
// rollout whose canary holds some of them, serves the real HTTP handler on a real listener, and
// has concurrent HTTP clients poll as random devices for a while. It prints polls per second and
// latency percentiles, and the process's CPU time per poll. The clients run in the same process
// and share the machine's cores with the server, so the figures are a lower bound for a server
// on its own.
//
//	go run ./bench/checkin                                        # SQLite in a temporary directory
//	go run ./bench/checkin -database postgres://postgres@127.0.0.1/bench  # PostgreSQL (emptied)
package main

import (
	"context"
	"crypto/ed25519"
	"database/sql"
	"encoding/base64"
	"flag"
	"fmt"
	"io"
	"log"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"slices"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib"

	"github.com/siegel-oss/siegel/internal/rollout"
	"github.com/siegel-oss/siegel/internal/rollout/delivery"
	"github.com/siegel-oss/siegel/internal/rollout/repo"
	"github.com/siegel-oss/siegel/internal/server"
	"github.com/siegel-oss/siegel/internal/store"
)

func main() {
	database := flag.String("database", "", "PostgreSQL URL (the database is emptied); SQLite in a temporary directory when empty")
	devices := flag.Int("devices", 10000, "devices in the fleet")
	canary := flag.Int("canary", 1000, "devices with an assignment (the rollout's first wave)")
	clients := flag.Int("clients", 64, "concurrent HTTP clients")
	duration := flag.Duration("duration", 10*time.Second, "how long to poll")
	flushEvery := flag.Duration("flush", time.Second, "how often heartbeats are written")
	flag.Parse()
	ctx := context.Background()

	var st *store.DB
	var err error
	if *database != "" {
		if err := emptyPostgres(ctx, *database); err != nil {
			log.Fatal(err)
		}
		st, err = store.OpenPostgres(ctx, *database, nil)
	} else {
		dir, _ := os.MkdirTemp("", "siegel-checkin-*")
		defer os.RemoveAll(dir)
		st, err = store.OpenSQLite(ctx, dir, nil)
	}
	if err != nil {
		log.Fatal(err)
	}
	defer st.Close()
	tokens, err := seed(ctx, st, *devices, *canary)
	if err != nil {
		log.Fatal(err)
	}
	srv := server.New(server.Config{Store: st})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	hs := &http.Server{Handler: srv.Handler()}
	go hs.Serve(ln)
	defer hs.Close()
	url := "http://" + ln.Addr().String() + "/api/v1/device/assignment"

	tr := &http.Transport{MaxIdleConnsPerHost: *clients, MaxConnsPerHost: *clients}
	client := &http.Client{Transport: tr}
	poll := func(tok string) (time.Duration, int, error) {
		req, _ := http.NewRequest(http.MethodGet, url, nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		t0 := time.Now()
		resp, err := client.Do(req)
		if err != nil {
			return 0, 0, err
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return time.Since(t0), resp.StatusCode, nil
	}
	// Warm-up: every device once (authenticates and caches its token, as a running fleet has).
	for _, tok := range tokens {
		if _, code, err := poll(tok); err != nil || (code != 200 && code != 204) {
			log.Fatalf("warm-up poll: %d %v", code, err)
		}
	}
	if err := srv.FlushHeartbeats(ctx); err != nil {
		log.Fatal(err)
	}

	var ru0 syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru0)
	var total, assigned atomic.Int64
	lat := make([][]time.Duration, *clients)
	stop := time.Now().Add(*duration)
	var wg sync.WaitGroup
	for c := range *clients {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(c), 1))
			for time.Now().Before(stop) {
				d, code, err := poll(tokens[rng.IntN(len(tokens))])
				if err != nil {
					log.Fatal(err)
				}
				lat[c] = append(lat[c], d)
				total.Add(1)
				if code == 200 {
					assigned.Add(1)
				}
			}
		})
	}
	// Heartbeats are written in batches, as the server's ticker does.
	flushDone := make(chan struct{})
	go func() {
		defer close(flushDone)
		t := time.NewTicker(*flushEvery)
		defer t.Stop()
		for time.Now().Before(stop) {
			select {
			case <-t.C:
			case <-time.After(time.Until(stop)):
				return
			}
			if err := srv.FlushHeartbeats(ctx); err != nil {
				log.Fatal(err)
			}
		}
	}()
	wg.Wait()
	<-flushDone
	elapsed := *duration
	var ru1 syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru1)
	cpu := time.Duration(ru1.Utime.Nano()+ru1.Stime.Nano()-ru0.Utime.Nano()-ru0.Stime.Nano()) * time.Nanosecond
	var all []time.Duration
	for _, l := range lat {
		all = append(all, l...)
	}
	slices.Sort(all)
	pct := func(p float64) time.Duration { return all[int(p*float64(len(all)-1))] }
	n := total.Load()
	fmt.Printf("store %s: %d devices (%d with an assignment), %d clients, %s\n", st.Dialect(), *devices, *canary, *clients, elapsed)
	fmt.Printf("polls: %d (%d answered with an assignment), %.0f polls/s\n", n, assigned.Load(), float64(n)/elapsed.Seconds())
	fmt.Printf("latency: p50 %s, p95 %s, p99 %s, max %s\n", pct(0.50).Round(10*time.Microsecond), pct(0.95).Round(10*time.Microsecond), pct(0.99).Round(10*time.Microsecond), all[len(all)-1].Round(10*time.Microsecond))
	fmt.Printf("CPU (server and clients): %s, %.0f µs per poll\n", cpu.Round(time.Millisecond), float64(cpu.Microseconds())/float64(n))
}

// seed makes an organization, a product with its repository and two published versions, the
// fleet, and a running rollout whose first wave holds canary devices.
func seed(ctx context.Context, st *store.DB, n, canary int) ([]string, error) {
	org, err := st.CreateOrganization(ctx, "Bench", "large", false)
	if err != nil {
		return nil, err
	}
	prod, err := st.CreateProduct(ctx, org.ID, "Router", "router", "important-i")
	if err != nil {
		return nil, err
	}
	tk := repo.NewKey()
	svc := &delivery.Service{Store: st, TargetsKey: tk}
	if _, err := svc.Init(ctx, org.ID, prod.ID, []ed25519.PrivateKey{repo.NewKey()}, 1, tk); err != nil {
		return nil, err
	}
	for _, v := range []string{"1.0.0", "1.1.0"} {
		if _, err := svc.Publish(ctx, org.ID, prod.ID, repo.Artifact{Name: "fw.bin", Version: v, HardwareClass: "hw-a"}, []byte(base64.StdEncoding.EncodeToString([]byte(v)))); err != nil {
			return nil, err
		}
	}
	var tokens []string
	for i := 0; i < n; i += 5000 {
		var nds []store.NewDevice
		for j := i; j < min(n, i+5000); j++ {
			nds = append(nds, store.NewDevice{Name: fmt.Sprintf("dev-%07d", j), HardwareClass: "hw-a", Region: []string{"eu", "us"}[j%2], Version: "1.0.0"})
		}
		_, toks, err := st.AddDevices(ctx, org.ID, prod.ID, nds)
		if err != nil {
			return nil, err
		}
		tokens = append(tokens, toks...)
	}
	g := rollout.DefaultGate()
	_, _, err = svc.Plan(ctx, org.ID, prod.ID, delivery.PlanInput{Version: "1.1.0", Waves: []rollout.WaveSpec{{Count: canary}}, Gate: &g, ExposureLimit: n, Seed: 1}, "bench")
	return tokens, err
}

func emptyPostgres(ctx context.Context, dsn string) error {
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		return err
	}
	defer db.Close()
	_, err = db.ExecContext(ctx, `DROP SCHEMA public CASCADE; CREATE SCHEMA public`)
	return err
}
