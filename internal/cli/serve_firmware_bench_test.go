package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/siegel-oss/siegel/internal/firmware/fwtest"
)

// BenchmarkServeFirmwareAnalysis uploads a 128 MiB firmware image (a cpio of random files) to a
// running 'siegel serve' and asks /healthz every 100 ms until the analysis job is done: it
// reports how long the upload took to be answered, how long the analysis ran, and the slowest
// /healthz answer meanwhile (the server keeps answering while an image is analysed).
func BenchmarkServeFirmwareAnalysis(b *testing.B) {
	data := b.TempDir()
	ctx, cancel := context.WithCancel(b.Context())
	defer cancel()
	url, _, _, _ := startServe(b, ctx, "--data", data)
	var out bytes.Buffer
	Run(b.Context(), []string{"token", "create", "--data", data, "--org", "ACME", "--role", "admin"}, nil, &out, &out, func(string) string { return "" })
	token := strings.TrimSpace(out.String())
	call := func(method, path string, body []byte, into any) int {
		req, _ := http.NewRequest(method, url+path, bytes.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+token)
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		defer resp.Body.Close()
		if into != nil {
			json.NewDecoder(resp.Body).Decode(into)
		}
		return resp.StatusCode
	}
	var prod, rel struct{ ID int64 }
	call("POST", "/api/v1/products", []byte(`{"name":"HomeRouter","craClass":"important-i"}`), &prod)
	call("POST", "/api/v1/products/"+itoa(prod.ID)+"/releases", []byte(`{"version":"4.2.0","supportEnd":"2031-12"}`), &rel)
	files := map[string]string{"etc/passwd": "root:x:0:0:root:/root:/bin/ash\n", "etc/shadow": "root::19000:0:99999:7:::\n"}
	r := rand.New(rand.NewPCG(1, 2))
	for i := range 64 {
		blob := make([]byte, 2<<20)
		for j := range blob {
			blob[j] = byte(r.Uint32())
		}
		files[fmt.Sprintf("usr/lib/blob%02d.bin", i)] = string(blob)
	}
	image := fwtest.CPIO(files, nil)
	var upload, analysis, worst time.Duration
	for i := 0; b.Loop(); i++ {
		start := time.Now()
		var q struct{ Status string }
		if code := call("POST", "/api/v1/releases/"+itoa(rel.ID)+fmt.Sprintf("/firmware?name=big-%d.cpio", i), image, &q); code != http.StatusAccepted {
			b.Fatalf("upload %d", code)
		}
		upload += time.Since(start)
		var job struct{ State, Error string }
		for job.State != "done" && job.State != "failed" {
			t0 := time.Now()
			resp, err := http.Get(url + "/healthz")
			if err != nil || resp.StatusCode != 200 {
				b.Fatalf("healthz while analysing: %v %v", resp, err)
			}
			resp.Body.Close()
			worst = max(worst, time.Since(t0))
			time.Sleep(100 * time.Millisecond)
			call("GET", q.Status, nil, &job)
		}
		if job.State != "done" {
			b.Fatalf("job %s: %s", job.State, job.Error)
		}
		analysis += time.Since(start)
	}
	b.ReportMetric(float64(upload.Milliseconds())/float64(b.N), "upload-ms/op")
	b.ReportMetric(float64(analysis.Milliseconds())/float64(b.N), "done-ms/op")
	b.ReportMetric(float64(worst.Milliseconds()), "healthz-max-ms")
}
