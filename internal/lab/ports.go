package lab

//go:generate go run ./genports -in /usr/share/nmap/nmap-services -out ports_top.go

import (
	"bufio"
	"cmp"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
)

// TopPortsFromServices reads nmap's nmap-services data file ("name<TAB>port/proto<TAB>open
// frequency ...") and returns the n TCP ports of highest frequency, equal frequencies by port
// number: the order nmap's --top-ports uses. internal/lab/genports writes ports_top.go with it.
func TopPortsFromServices(r io.Reader, n int) ([]int, error) {
	type entry struct {
		port int
		freq float64
	}
	var es []entry
	sc := bufio.NewScanner(r)
	line := 0
	for sc.Scan() {
		line++
		t := sc.Text()
		if t == "" || strings.HasPrefix(t, "#") {
			continue
		}
		fs := strings.Fields(t)
		if len(fs) < 3 {
			return nil, fmt.Errorf("line %d: want name, port/protocol and frequency", line)
		}
		pp, proto, ok := strings.Cut(fs[1], "/")
		if !ok || proto != "tcp" {
			continue
		}
		port, err := strconv.Atoi(pp)
		if err != nil || port < 1 || port > 65535 {
			return nil, fmt.Errorf("line %d: bad port %q", line, fs[1])
		}
		freq, err := strconv.ParseFloat(fs[2], 64)
		if err != nil {
			return nil, fmt.Errorf("line %d: bad frequency %q", line, fs[2])
		}
		es = append(es, entry{port, freq})
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	slices.SortStableFunc(es, func(a, b entry) int {
		if c := cmp.Compare(b.freq, a.freq); c != 0 {
			return c
		}
		return cmp.Compare(a.port, b.port)
	})
	if len(es) < n {
		return nil, fmt.Errorf("only %d TCP ports, want %d", len(es), n)
	}
	out := make([]int, 0, n)
	for _, e := range es[:n] {
		out = append(out, e.port)
	}
	return out, nil
}
