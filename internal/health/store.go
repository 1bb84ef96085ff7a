package health

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// FileName is the health data file in the vulnerability-database directory.
const FileName = "health.json"

// maxDataFile bounds the health data file Load reads.
const maxDataFile = 512 << 20

// ErrNoData is returned by Load when no health data was imported into dir.
var ErrNoData = errors.New("no health data; run 'siegel db update --eol ...' first")

// Load reads the health data stored in the vulnerability-database directory dir and indexes it.
func Load(dir string) (*Data, error) {
	p := filepath.Join(dir, FileName)
	f, err := os.Open(p)
	if errors.Is(err, os.ErrNotExist) {
		return nil, ErrNoData
	}
	if err != nil {
		return nil, fmt.Errorf("open health data: %w", err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxDataFile+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", p, err)
	}
	if len(b) > maxDataFile {
		return nil, fmt.Errorf("%s: larger than %d bytes", p, maxDataFile)
	}
	d := &Data{}
	if err := json.Unmarshal(b, d); err != nil {
		return nil, fmt.Errorf("%s: %w", p, err)
	}
	d.Index()
	return d, nil
}

// Save writes d into dir atomically: a reader sees the old file or the new one, never half.
func (d *Data) Save(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("health data directory: %w", err)
	}
	tmp, err := os.CreateTemp(dir, FileName+".*")
	if err != nil {
		return fmt.Errorf("write health data: %w", err)
	}
	defer os.Remove(tmp.Name())
	enc := json.NewEncoder(tmp)
	if err := enc.Encode(d); err != nil {
		tmp.Close()
		return fmt.Errorf("write health data: %w", err)
	}
	if err := tmp.Chmod(0o644); err != nil {
		tmp.Close()
		return fmt.Errorf("write health data: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("write health data: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write health data: %w", err)
	}
	if err := os.Rename(tmp.Name(), filepath.Join(dir, FileName)); err != nil {
		return fmt.Errorf("write health data: %w", err)
	}
	return nil
}
