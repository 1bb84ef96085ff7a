package extract

import (
	"fmt"
	"io"
	"io/fs"

	"github.com/siegel-oss/siegel/internal/input"
)

// readFile reads f from fsys, refusing files over limits.MaxBytes. Errors name f.Path.
func readFile(fsys fs.FS, f File, limits input.Limits) ([]byte, error) {
	if limits.MaxBytes > 0 && f.Size > limits.MaxBytes {
		return nil, &input.Error{File: f.Path, Rule: "size limit",
			Err: fmt.Errorf("%w: %d bytes, limit %d; raise --max-file-size to read it", input.ErrTooLarge, f.Size, limits.MaxBytes)}
	}
	r, err := fsys.Open(f.Path)
	if err != nil {
		return nil, &input.Error{File: f.Path, Rule: "read", Err: err}
	}
	defer r.Close()
	return input.ReadAll(f.Path, io.Reader(r), limits)
}
