package health

import (
	"archive/tar"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// EndOfLifeArchiveURL is the live source of endoflife.date product files: the repository's
// main branch as a tar.gz archive (its products/*.md are what the website is built from).
const EndOfLifeArchiveURL = "https://github.com/endoflife-date/endoflife.date/archive/refs/heads/master.tar.gz"

// Limits for an endoflife.date import.
const (
	maxProducts     = 20_000
	maxArchiveBytes = 256 << 20 // uncompressed
)

// ImportEndOfLife reads endoflife.date product files from src: a directory (the repository's
// root or its products/ folder), a .tar.gz archive of the repository, or the URL of such an
// archive. It returns the products sorted by name and the data's date: the commit time an
// archive's entries carry, or for a directory the newest release date in the data that is not
// after now (a lower bound: the data is at least that current).
func ImportEndOfLife(ctx context.Context, src string, now time.Time, hc *http.Client) ([]Product, time.Time, error) {
	var ps []Product
	var date time.Time
	var err error
	switch {
	case isURL(src):
		var body io.ReadCloser
		body, err = fetch(ctx, hc, src, "")
		if err != nil {
			return nil, time.Time{}, err
		}
		defer body.Close()
		ps, date, err = readEndOfLifeTar(src, body)
	default:
		var fi os.FileInfo
		fi, err = os.Stat(src)
		if err != nil {
			return nil, time.Time{}, fmt.Errorf("endoflife.date data: %w", err)
		}
		if fi.IsDir() {
			ps, err = readEndOfLifeDir(src)
		} else {
			var f *os.File
			f, err = os.Open(src)
			if err != nil {
				return nil, time.Time{}, fmt.Errorf("endoflife.date data: %w", err)
			}
			defer f.Close()
			if strings.HasSuffix(src, ".md") {
				var p Product
				p, err = ParseProduct(src, f)
				ps = []Product{p}
			} else {
				ps, date, err = readEndOfLifeTar(src, f)
			}
		}
	}
	if err != nil {
		return nil, time.Time{}, err
	}
	if len(ps) == 0 {
		return nil, time.Time{}, fmt.Errorf("%s: no endoflife.date product files (products/*.md) found", src)
	}
	if date.IsZero() {
		date = newestDate(ps, now)
	}
	for i := range ps {
		ps[i].DataDate = date
	}
	slices.SortFunc(ps, func(a, b Product) int { return strings.Compare(a.Name, b.Name) })
	return ps, date, nil
}

func readEndOfLifeDir(dir string) ([]Product, error) {
	if fi, err := os.Stat(filepath.Join(dir, "products")); err == nil && fi.IsDir() {
		dir = filepath.Join(dir, "products")
	}
	names, err := filepath.Glob(filepath.Join(dir, "*.md"))
	if err != nil {
		return nil, err
	}
	if len(names) > maxProducts {
		return nil, fmt.Errorf("%s: more than %d product files", dir, maxProducts)
	}
	ps := make([]Product, 0, len(names))
	for _, n := range names {
		f, err := os.Open(n)
		if err != nil {
			return nil, fmt.Errorf("endoflife.date data: %w", err)
		}
		p, err := ParseProduct(n, f)
		f.Close()
		if err != nil {
			return nil, err
		}
		ps = append(ps, p)
	}
	return ps, nil
}

// readEndOfLifeTar reads products/*.md from a gzip-compressed tar of the repository, at any
// depth (GitHub archives put everything under one top folder). Nothing is written to disk.
func readEndOfLifeTar(name string, r io.Reader) ([]Product, time.Time, error) {
	zr, err := gzip.NewReader(r)
	if err != nil {
		return nil, time.Time{}, fmt.Errorf("%s: not a gzip-compressed tar archive: %w", name, err)
	}
	tr := tar.NewReader(zr)
	var ps []Product
	var newest time.Time
	var total int64
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, time.Time{}, fmt.Errorf("%s: %w", name, err)
		}
		if h.Typeflag != tar.TypeReg || path.Ext(h.Name) != ".md" || path.Base(path.Dir(h.Name)) != "products" {
			continue
		}
		if total += h.Size; total > maxArchiveBytes {
			return nil, time.Time{}, fmt.Errorf("%s: more than %d bytes of product files", name, maxArchiveBytes)
		}
		if len(ps) >= maxProducts {
			return nil, time.Time{}, fmt.Errorf("%s: more than %d product files", name, maxProducts)
		}
		p, err := ParseProduct(name+"!"+h.Name, tr)
		if err != nil {
			return nil, time.Time{}, err
		}
		ps = append(ps, p)
		if h.ModTime.After(newest) {
			newest = h.ModTime.UTC()
		}
	}
	return ps, newest, nil
}

// newestDate is the newest release or latest-release date in ps not after now.
func newestDate(ps []Product, now time.Time) time.Time {
	var d time.Time
	for _, p := range ps {
		for _, c := range p.Cycles {
			for _, t := range []time.Time{c.ReleaseDate, c.LatestDate} {
				if t.After(d) && (now.IsZero() || !t.After(now)) {
					d = t
				}
			}
		}
	}
	return d
}

func isURL(s string) bool { return strings.HasPrefix(s, "https://") || strings.HasPrefix(s, "http://") }

// maxResponse bounds one registry response.
const maxResponse = 64 << 20

// fetch GETs url and returns its body; a status other than 200 is an error naming the URL.
func fetch(ctx context.Context, hc *http.Client, url, accept string) (io.ReadCloser, error) {
	if hc == nil {
		hc = http.DefaultClient
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("User-Agent", "siegel (component health)")
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	resp, err := hc.Do(req)
	if err != nil {
		return nil, fmt.Errorf("fetch %s: %w", url, err)
	}
	if resp.StatusCode != http.StatusOK {
		resp.Body.Close()
		if resp.StatusCode == http.StatusNotFound || resp.StatusCode == http.StatusGone {
			return nil, fmt.Errorf("fetch %s: %w", url, ErrNotFound)
		}
		return nil, fmt.Errorf("fetch %s: %s", url, resp.Status)
	}
	return struct {
		io.Reader
		io.Closer
	}{io.LimitReader(resp.Body, maxResponse), resp.Body}, nil
}

// ErrNotFound is returned by the fetchers when a registry does not know a package.
var ErrNotFound = errors.New("not found")
