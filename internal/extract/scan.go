package extract

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"runtime"
	"slices"
	"sync"

	"github.com/siegel-oss/siegel/internal/input"
)

// Options control a scan. The zero value scans with every extractor and default limits.
type Options struct {
	Extractors []Extractor  // nil means Default()
	Limits     input.Limits // per file
	MaxFiles   int          // most files offered to extractors; 0 means 100,000
	SkipDirs   []string     // directory base names not entered; nil means DefaultSkipDirs
	Workers    int          // parallel extractions; 0 means GOMAXPROCS
	Log        *slog.Logger // nil discards
	Only       string       // when set, only this file (slash path relative to the root) is offered
}

// DefaultSkipDirs are directories whose content a lockfile already describes, or that hold no
// installed software: version-control metadata, installed npm packages, virtual filesystems,
// and test inputs (testdata, by Go convention), which are not part of what ships.
var DefaultSkipDirs = []string{".git", ".hg", ".svn", "node_modules", "proc", "sys", "dev", "testdata"}

// ErrTooManyFiles is returned when a tree has more candidate files than Options.MaxFiles.
var ErrTooManyFiles = errors.New("too many files to scan")

// Inventory is what a scan found: each file's result, in path order, and the files that failed.
type Inventory struct {
	Files  []FileResult
	Errors []error // one *input.Error (or wrapped I/O error) per file that could not be read
}

// FileResult is one extractor's result for one file.
type FileResult struct {
	File      File
	Extractor string
	Result    Result
}

// Scan walks fsys and runs every matching extractor on every regular file. Symbolic links are not
// followed (the caller should pass an fs.FS that cannot escape its root, such as os.Root.FS).
// Per-file failures are collected in Inventory.Errors, not returned, so that one damaged lockfile
// does not hide the rest; the error return is for failures of the walk itself.
func Scan(ctx context.Context, fsys fs.FS, opts Options) (*Inventory, error) {
	extractors := opts.Extractors
	if extractors == nil {
		extractors = Default()
	}
	skip := opts.SkipDirs
	if skip == nil {
		skip = DefaultSkipDirs
	}
	maxFiles := cmp.Or(opts.MaxFiles, 100_000)
	log := opts.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}

	type job struct {
		file File
		ex   Extractor
	}
	var jobs []job
	err := fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if p == "." {
				return err
			}
			log.Warn("cannot read directory entry; skipped", "path", p, "err", err)
			return nil
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if d.IsDir() {
			if p != "." && slices.Contains(skip, d.Name()) {
				return fs.SkipDir
			}
			return nil
		}
		if !d.Type().IsRegular() || opts.Only != "" && p != opts.Only {
			return nil
		}
		info, err := d.Info()
		if err != nil {
			log.Warn("cannot stat file; skipped", "path", p, "err", err)
			return nil
		}
		f := File{Path: p, Mode: info.Mode(), Size: info.Size()}
		for _, ex := range extractors {
			if ex.Match(f) {
				if len(jobs) >= maxFiles {
					return fmt.Errorf("%w: more than %d candidate files under the scan root; scan a smaller directory", ErrTooManyFiles, maxFiles)
				}
				jobs = append(jobs, job{f, ex})
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("walk scan root: %w", err)
	}

	results := make([]FileResult, len(jobs))
	errs := make([]error, len(jobs))
	workers := cmp.Or(opts.Workers, runtime.GOMAXPROCS(0))
	next := make(chan int)
	var wg sync.WaitGroup
	for range min(workers, len(jobs)) {
		wg.Go(func() {
			for i := range next {
				j := jobs[i]
				res, err := j.ex.Extract(ctx, fsys, j.file, opts.Limits)
				if err != nil {
					errs[i] = err
					continue
				}
				results[i] = FileResult{File: j.file, Extractor: j.ex.Name(), Result: res}
			}
		})
	}
	for i := range jobs {
		if ctx.Err() != nil {
			break
		}
		next <- i
	}
	close(next)
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, err
	}

	inv := &Inventory{}
	for i := range jobs {
		switch {
		case errs[i] != nil:
			inv.Errors = append(inv.Errors, errs[i])
		case len(results[i].Result.Components) > 0 || len(results[i].Result.Dependencies) > 0:
			inv.Files = append(inv.Files, results[i])
		}
	}
	slices.SortStableFunc(inv.Files, func(a, b FileResult) int {
		return cmp.Or(cmp.Compare(a.File.Path, b.File.Path), cmp.Compare(a.Extractor, b.Extractor))
	})
	return inv, nil
}
