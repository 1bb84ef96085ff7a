package unpack

import (
	"bytes"
	"compress/bzip2"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/klauspost/compress/gzip"

	"github.com/klauspost/compress/zstd"
	"github.com/pierrec/lz4/v4"
	"github.com/ulikunitz/xz"
	"github.com/ulikunitz/xz/lzma"
)

// Compressed streams unpack to a tree of one regular file, named after the stream when it carries
// a name (gzip) and "data" otherwise; the driver then searches that file at every offset.

var (
	gzipFormat  = Format{Name: "gzip", Magics: []Magic{{0, "\x1f\x8b\x08"}}, Kind: Container, Unpack: unpackGzip}
	xzFormat    = Format{Name: "xz", Magics: []Magic{{0, "\xfd7zXZ\x00"}}, Kind: Container, Unpack: unpackXz}
	bzip2Format = Format{Name: "bzip2", Magics: []Magic{{0, "BZh91AY&SY"}, {0, "BZh81AY&SY"}, {0, "BZh71AY&SY"},
		{0, "BZh61AY&SY"}, {0, "BZh51AY&SY"}, {0, "BZh41AY&SY"}, {0, "BZh31AY&SY"}, {0, "BZh21AY&SY"}, {0, "BZh11AY&SY"}},
		Kind: Container, Unpack: unpackBzip2}
	zstdFormat = Format{Name: "zstd", Magics: []Magic{{0, "\x28\xb5\x2f\xfd"}}, Kind: Container, Unpack: unpackZstd}
	lz4Format  = Format{Name: "lz4", Magics: []Magic{{0, "\x04\x22\x4d\x18"}}, Kind: Container, Unpack: unpackLz4}
	// The LZMA "alone" format has no magic, only a properties byte (almost always 0x5d: lc=3,
	// lp=0, pb=2) and a dictionary size; lzmaHeaderPlausible rejects most chance matches before
	// any decoding.
	lzmaFormat = Format{Name: "lzma", Magics: []Magic{{0, "\x5d\x00\x00"}}, Kind: Container, Unpack: unpackLzma}
)

// countingReader counts the bytes a decompressor consumed, so carving can go on after the stream.
type countingReader struct {
	r *bytes.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

func (c *countingReader) ReadByte() (byte, error) {
	b, err := c.r.ReadByte()
	if err == nil {
		c.n++
	}
	return b, err
}

func oneFile(format, name string, data []byte, b *Budget) (*Tree, error) {
	t := NewTree(format, b)
	if name == "" {
		name = "data"
	}
	if err := t.Add(Entry{Path: name, Mode: 0o644, Data: data, Offset: -1}); err != nil {
		// A stored name that cannot be a path (gzip headers are untrusted) falls back to "data".
		if errors.Is(err, ErrLimit) {
			return nil, err
		}
		if err := t.Add(Entry{Path: "data", Mode: 0o644, Data: data, Offset: -1}); err != nil {
			return nil, err
		}
	}
	return t, nil
}

func streamError(format string, err error) error {
	if errors.Is(err, ErrLimit) {
		return err
	}
	return &FormatError{Format: format, Offset: -1, Rule: "compressed stream", Err: err}
}

func unpackGzip(data []byte, b *Budget) (*Tree, int64, error) {
	cr := &countingReader{r: bytes.NewReader(data)}
	zr, err := gzip.NewReader(cr)
	if err != nil {
		return nil, 0, Errorf("gzip", 0, "header", "%v", err)
	}
	zr.Multistream(false)
	out, err := b.ReadAllLimited(zr)
	if err != nil {
		return nil, 0, streamError("gzip", err)
	}
	t, err := oneFile("gzip", sanitizeName(zr.Name), out, b)
	return t, cr.n, err
}

// sanitizeName keeps the base of a stored file name, or "" when nothing usable is left.
func sanitizeName(name string) string {
	for i := len(name) - 1; i >= 0; i-- {
		if name[i] == '/' || name[i] == '\\' {
			name = name[i+1:]
			break
		}
	}
	if name == "." || name == ".." {
		return ""
	}
	return name
}

func unpackXz(data []byte, b *Budget) (*Tree, int64, error) {
	size := xzStreamSize(data)
	src := data
	if size > 0 {
		src = data[:size]
	}
	zr, err := xz.ReaderConfig{SingleStream: true}.NewReader(bytes.NewReader(src))
	if err != nil {
		return nil, 0, Errorf("xz", 0, "stream header", "%v", err)
	}
	out, err := b.ReadAllLimited(zr)
	if err != nil {
		return nil, 0, streamError("xz", err)
	}
	t, err := oneFile("xz", "", out, b)
	return t, size, err
}

// xzStreamSize finds where the xz stream at data[0] ends, from the first stream footer ("YZ"
// magic, preceded by the backward size) that agrees with its index; 0 when none is found.
func xzStreamSize(data []byte) int64 {
	for off := 12; off+12 <= len(data); {
		i := bytes.Index(data[off:], []byte("YZ"))
		if i < 0 {
			return 0
		}
		end := off + i + 2
		if end%4 == 0 && end >= 24 {
			footer := data[end-12 : end]
			if bytes.Equal(footer[8:10], data[6:8]) { // stream flags match the header's
				return int64(end)
			}
		}
		off = off + i + 1
	}
	return 0
}

func unpackBzip2(data []byte, b *Budget) (*Tree, int64, error) {
	cr := &countingReader{r: bytes.NewReader(data)}
	out, err := b.ReadAllLimited(bzip2.NewReader(cr))
	if err != nil && trailingGarbage(err, out) {
		err = nil
	}
	if err != nil {
		return nil, 0, streamError("bzip2", err)
	}
	t, err := oneFile("bzip2", "", out, b)
	return t, cr.n, err
}

// trailingGarbage tells the error a decoder of concatenated streams (bzip2, lz4) gives when
// other data follows the last stream, as it always does inside a firmware image.
func trailingGarbage(err error, out []byte) bool {
	return len(out) > 0 && !errors.Is(err, ErrLimit) &&
		(strings.Contains(err.Error(), "continuation file") || strings.Contains(err.Error(), "bad magic number"))
}

func unpackZstd(data []byte, b *Budget) (*Tree, int64, error) {
	zr, err := zstd.NewReader(bytes.NewReader(data), zstd.WithDecoderConcurrency(1),
		zstd.WithDecoderMaxMemory(uint64(min(b.Remaining()+1, 1<<40))))
	if err != nil {
		return nil, 0, Errorf("zstd", 0, "frame header", "%v", err)
	}
	defer zr.Close()
	out, err := b.ReadAllLimited(zr)
	if err != nil && len(out) == 0 {
		return nil, 0, streamError("zstd", err)
	}
	if err != nil && errors.Is(err, ErrLimit) {
		return nil, 0, err
	}
	// Data after the last frame is not zstd: the decoder reports it, but what came before is good.
	t, err2 := oneFile("zstd", "", out, b)
	return t, 0, err2
}

func unpackLz4(data []byte, b *Budget) (*Tree, int64, error) {
	cr := &countingReader{r: bytes.NewReader(data)}
	out, err := b.ReadAllLimited(lz4.NewReader(cr))
	if err != nil && trailingGarbage(err, out) {
		err = nil
	}
	if err != nil {
		return nil, 0, streamError("lz4", err)
	}
	t, err := oneFile("lz4", "", out, b)
	return t, 0, err
}

// lzmaHeaderPlausible checks an LZMA-alone header: properties byte, a dictionary size of the
// form 2^n or 2^n+2^(n-1) between 4 KiB and 256 MiB as encoders write, and an uncompressed size
// that is either unknown (all ones) or below limit.
func lzmaHeaderPlausible(h []byte, limit int64) bool {
	if len(h) < 13 || h[0] >= 9*5*5 {
		return false
	}
	dict := binary.LittleEndian.Uint32(h[1:5])
	if dict < 1<<12 || dict > 1<<28 {
		return false
	}
	ok := false
	for n := 12; n <= 28; n++ {
		if dict == 1<<n || dict == 1<<n|1<<(n-1) {
			ok = true
			break
		}
	}
	size := binary.LittleEndian.Uint64(h[5:13])
	return ok && (size == ^uint64(0) || (size > 0 && size < uint64(limit)))
}

func unpackLzma(data []byte, b *Budget) (*Tree, int64, error) {
	if !lzmaHeaderPlausible(data, min(b.Remaining()+1, 1<<32)) {
		return nil, 0, Errorf("lzma", 0, "header", "implausible properties, dictionary or size")
	}
	cr := &countingReader{r: bytes.NewReader(data)}
	zr, err := lzma.NewReader(cr)
	if err != nil {
		return nil, 0, Errorf("lzma", 0, "header", "%v", err)
	}
	out, err := b.ReadAllLimited(zr)
	if err != nil {
		return nil, 0, streamError("lzma", err)
	}
	if len(out) == 0 {
		return nil, 0, Errorf("lzma", 0, "stream", "decodes to nothing")
	}
	t, err := oneFile("lzma", "", out, b)
	return t, 0, err
}

// decompress undoes one of the compressions boot containers name (uImage, FIT), for payloads
// whose compression is declared rather than sniffed.
func decompress(method string, data []byte, b *Budget) ([]byte, error) {
	var r io.Reader
	switch method {
	case "none", "":
		return data, nil
	case "gzip":
		zr, err := gzip.NewReader(bytes.NewReader(data))
		if err != nil {
			return nil, err
		}
		zr.Multistream(false)
		r = zr
	case "bzip2":
		r = bzip2.NewReader(bytes.NewReader(data))
	case "lzma":
		zr, err := lzma.NewReader(bytes.NewReader(data))
		if err != nil {
			return nil, err
		}
		r = zr
	case "xz":
		zr, err := xz.NewReader(bytes.NewReader(data))
		if err != nil {
			return nil, err
		}
		r = zr
	case "lz4":
		r = lz4.NewReader(bytes.NewReader(data))
	case "zstd":
		zr, err := zstd.NewReader(bytes.NewReader(data), zstd.WithDecoderConcurrency(1))
		if err != nil {
			return nil, err
		}
		defer zr.Close()
		r = zr
	default:
		return nil, fmt.Errorf("compression %q is not supported", method)
	}
	return b.ReadAllLimited(r)
}
