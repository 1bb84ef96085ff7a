package health

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"time"
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

// Cache holds the health data of a directory and reloads it when the file changes, so that a
// server sees an update made by 'siegel db update' without a restart.
type Cache struct {
	Dir string

	mu      sync.Mutex
	data    *Data
	modTime time.Time
	size    int64
}

// Get returns the current health data: an empty Data (every verdict Unknown) when none was
// imported, so callers always have something to show and count.
func (c *Cache) Get() (*Data, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.Dir == "" {
		return &Data{}, nil
	}
	fi, err := os.Stat(filepath.Join(c.Dir, FileName))
	if errors.Is(err, os.ErrNotExist) {
		c.data = nil
		return &Data{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("health data: %w", err)
	}
	if c.data != nil && fi.ModTime().Equal(c.modTime) && fi.Size() == c.size {
		return c.data, nil
	}
	d, err := Load(c.Dir)
	if err != nil {
		return nil, err
	}
	c.data, c.modTime, c.size = d, fi.ModTime(), fi.Size()
	return d, nil
}
