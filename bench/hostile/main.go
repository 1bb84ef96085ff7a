// Command hostile measures the peak memory of a real `siegel serve` under hostile uploads: a zip
// bomb, a tar.gz that unpacks far beyond its size (with a tar.gz inside), a large SBOM, one twice
// as large (over the default memory budget), an SBOM with a 100 MiB component name, and the tar.gz as a firmware image. Each input goes to a freshly
// started server, whose peak resident set (VmHWM in /proc/PID/status) is read after the answer.
// It fails when a peak exceeds 256 MiB plus the server's upload limit.
//
//	go build -o /tmp/siegel ./cmd/siegel && go run ./bench/hostile -siegel /tmp/siegel
package main

import (
	"archive/tar"
	"archive/zip"
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

var (
	siegel    = flag.String("siegel", "siegel", "the siegel binary to start")
	maxUpload = flag.Int64("max-upload", 256, "--max-upload given to the server, in MiB")
	only      = flag.String("only", "", "run only the input with this name")
	comps     = flag.Int("components", 60000, "components of the large SBOM")
)

func main() {
	flag.Parse()
	inputs := []struct {
		name, path, contentType string
		build                   func() []byte
	}{
		{"zip bomb", "sboms", "application/zip", zipBomb},
		{"nested tar.gz", "sboms", "application/gzip", nestedTarGz},
		{"large SBOM", "sboms", "application/json", func() []byte { return largeSBOM(*comps) }},
		{"SBOM over budget", "sboms", "application/json", func() []byte { return largeSBOM(2 * *comps) }},
		{"100 MiB name", "sboms", "application/json", hugeName},
		{"tar.gz as firmware", "firmware", "application/octet-stream", nestedTarGz},
	}
	limit := int64(256<<20) + *maxUpload<<20
	fmt.Printf("%-20s %10s %8s %12s %10s  %s\n", "input", "size", "status", "VmHWM", "seconds", "answer")
	failed := false
	for _, in := range inputs {
		if *only != "" && in.name != *only {
			continue
		}
		body := in.build()
		hwm, base, status, answer, took := measure(in.path, in.contentType, body)
		fmt.Printf("%-20s %10s %8d %12s %10.1f  %s (idle server: %s)\n", in.name, mib(int64(len(body))), status, mib(hwm), took.Seconds(), answer, mib(base))
		if hwm > limit {
			failed = true
			fmt.Printf("  over the budget of %s\n", mib(limit))
		}
	}
	if failed {
		os.Exit(1)
	}
}

func mib(n int64) string { return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20)) }

// measure starts a server, uploads body and returns its peak resident set, the peak before the
// upload, the status, the start of the answer and the time the upload took.
func measure(path, contentType string, body []byte) (hwm, base int64, status int, answer string, took time.Duration) {
	dir, err := os.MkdirTemp("", "siegel-hostile-")
	check(err)
	defer os.RemoveAll(dir)
	mirror := filepath.Join(dir, "mirror")
	check(os.MkdirAll(mirror, 0o755))
	out, err := exec.Command(*siegel, "token", "create", "--data", dir, "--org", "ACME", "--role", "admin").Output()
	check(err)
	token := strings.TrimSpace(string(out))
	cmd := exec.Command(*siegel, "serve", "--addr", "127.0.0.1:0", "--data", dir, "--org", "ACME", "--db-source", mirror,
		"--update-interval", "0", "--max-upload", strconv.FormatInt(*maxUpload, 10))
	stdout, err := cmd.StdoutPipe()
	check(err)
	cmd.Stderr = io.Discard
	check(cmd.Start())
	defer func() { cmd.Process.Kill(); cmd.Wait() }()
	sc := bufio.NewScanner(stdout)
	var base_ string
	for sc.Scan() {
		if u, ok := strings.CutPrefix(sc.Text(), "siegel serving on "); ok {
			base_ = u
			break
		}
	}
	if base_ == "" {
		log.Fatal("the server did not start")
	}
	go io.Copy(io.Discard, stdout)
	api := func(method, p, ct string, body []byte, out any) (int, string) {
		req, _ := http.NewRequest(method, base_+p, bytes.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+token)
		req.Header.Set("Content-Type", ct)
		resp, err := http.DefaultClient.Do(req)
		check(err)
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if out != nil {
			json.Unmarshal(b, out)
		}
		return resp.StatusCode, string(b)
	}
	var prod, rel struct{ ID int64 }
	api("POST", "/api/v1/products", "application/json", []byte(`{"name":"Router"}`), &prod)
	api("POST", fmt.Sprintf("/api/v1/products/%d/releases", prod.ID), "application/json", []byte(`{"version":"1.0","supportEnd":"2031-12"}`), &rel)
	base = vmHWM(cmd.Process.Pid)
	start := time.Now()
	status, answer = api("POST", fmt.Sprintf("/api/v1/releases/%d/%s", rel.ID, path), contentType, body, nil)
	took = time.Since(start)
	if len(answer) > 110 {
		answer = answer[:110] + "…"
	}
	answer = strings.Join(strings.Fields(answer), " ")
	return vmHWM(cmd.Process.Pid), base, status, answer, took
}

func vmHWM(pid int) int64 {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	check(err)
	for line := range strings.SplitSeq(string(data), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			check(err)
			return kb << 10
		}
	}
	log.Fatal("no VmHWM")
	return 0
}

// zipBomb is about 1 MiB of zip holding 1 GiB of zeros in eight files.
func zipBomb() []byte {
	var buf bytes.Buffer
	w := zip.NewWriter(&buf)
	zeros := make([]byte, 1<<20)
	for i := range 8 {
		f, err := w.Create(fmt.Sprintf("src/file%d.txt", i))
		check(err)
		for range 128 {
			f.Write(zeros)
		}
	}
	check(w.Close())
	return buf.Bytes()
}

// nestedTarGz is a tar.gz with a package.json, 1 GiB of zeros, and a tar.gz of the same inside.
func nestedTarGz() []byte {
	inner := tarGz(map[string]int64{"inner/zeros.bin": 512 << 20}, nil)
	return tarGz(map[string]int64{"zeros.bin": 1 << 30}, map[string][]byte{"package.json": []byte(`{"name":"x","version":"1.0.0"}`), "vendor/inner.tar.gz": inner})
}

func tarGz(zeros map[string]int64, files map[string][]byte) []byte {
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	tw := tar.NewWriter(zw)
	for name, data := range files {
		check(tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: int64(len(data)), Typeflag: tar.TypeReg}))
		tw.Write(data)
	}
	chunk := make([]byte, 1<<20)
	for name, n := range zeros {
		check(tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: n, Typeflag: tar.TypeReg}))
		for left := n; left > 0; left -= int64(len(chunk)) {
			tw.Write(chunk[:min(left, int64(len(chunk)))])
		}
	}
	check(tw.Close())
	check(zw.Close())
	return buf.Bytes()
}

// largeSBOM is a CycloneDX document of n components (60,000: about 25 MiB) with purls, hashes,
// licences and a dependency graph.
func largeSBOM(n int) []byte {
	var b bytes.Buffer
	b.WriteString(`{"bomFormat":"CycloneDX","specVersion":"1.6","version":1,"metadata":{"component":{"bom-ref":"root","type":"firmware","name":"Router","version":"1.0"}},"components":[`)
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"bom-ref":"pkg:npm/package-%d@1.%d.0","type":"library","name":"package-%d","version":"1.%d.0","purl":"pkg:npm/package-%d@1.%d.0","hashes":[{"alg":"SHA-256","content":"%064x"}],"licenses":[{"license":{"id":"MIT"}}],"description":"A package of the benchmark, number %d, with a description of some length to look like real ones."}`, i, i%50, i, i%50, i, i%50, i, i)
	}
	b.WriteString(`],"dependencies":[{"ref":"root","dependsOn":[`)
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `"pkg:npm/package-%d@1.%d.0"`, i, i%50)
	}
	b.WriteString(`]}]}`)
	return b.Bytes()
}

// hugeName is a CycloneDX document whose one component has a 100 MiB name.
func hugeName() []byte {
	var b bytes.Buffer
	b.WriteString(`{"bomFormat":"CycloneDX","specVersion":"1.6","version":1,"components":[{"bom-ref":"a","type":"library","name":"`)
	b.Write(bytes.Repeat([]byte("a"), 100<<20))
	b.WriteString(`","version":"1.0"}]}`)
	return b.Bytes()
}

func check(err error) {
	if err != nil {
		log.Fatal(err)
	}
}
