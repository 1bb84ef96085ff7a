package unpack

import (
	"bytes"
	"errors"
	"fmt"
	"io"

	"github.com/klauspost/compress/zlib"

	lzo "github.com/anchore/go-lzo"
	"github.com/klauspost/compress/zstd"
	"github.com/pierrec/lz4/v4"

	"github.com/siegel-oss/siegel/internal/firmware/unpack/xzblock"
)

// SquashFS compressor ids (superblock field compression_id).
const (
	sqCompGzip = 1
	sqCompLZMA = 2
	sqCompLZO  = 3
	sqCompXZ   = 4
	sqCompLZ4  = 5
	sqCompZstd = 6
)

var sqCompNames = map[uint16]string{
	sqCompGzip: "gzip", sqCompLZMA: "lzma", sqCompLZO: "lzo",
	sqCompXZ: "xz", sqCompLZ4: "lz4", sqCompZstd: "zstd",
}

// errTooBig says a block expands beyond the size the format allows it.
var errTooBig = errors.New("block expands beyond its maximum size")

// sqDecompressor expands one compressed block. It is not safe for concurrent use: every
// goroutine that decompresses holds its own.
type sqDecompressor interface {
	// decompress expands src into dst and returns how many bytes it wrote; a block that would
	// expand beyond len(dst) is an error.
	decompress(dst, src []byte) (int, error)
}

// newSqDecompressor returns a decompressor for the compressor id; blockSize bounds the
// dictionaries a stream may ask for, so a forged header cannot make it allocate gigabytes.
func newSqDecompressor(id uint16, blockSize int) (sqDecompressor, error) {
	switch id {
	case sqCompGzip:
		return &sqZlib{}, nil
	case sqCompLZMA:
		// The lzma_alone header states the dictionary size; squashfs writers use the block
		// size, old kernels' patches at most 8 MiB.
		return &sqLZMA{d: xzblock.NewDecoder(int64(max(blockSize, 8<<20)))}, nil
	case sqCompLZO:
		return sqLZO{}, nil
	case sqCompXZ:
		maxDict := max(blockSize, 1<<20)
		return &sqXZ{maxDict: maxDict, d: xzblock.NewDecoder(int64(maxDict))}, nil
	case sqCompLZ4:
		return sqLZ4{}, nil
	case sqCompZstd:
		d, err := zstd.NewReader(nil,
			zstd.WithDecoderConcurrency(1),
			zstd.WithDecoderMaxMemory(uint64(max(blockSize, 8192))+1),
			zstd.WithDecodeAllCapLimit(true))
		if err != nil {
			return nil, err
		}
		return &sqZstd{d: d}, nil
	}
	return nil, fmt.Errorf("unknown compressor id %d", id)
}

// readInto reads r to its end into dst, failing when r has more than len(dst) bytes.
func readInto(r io.Reader, dst []byte) (int, error) {
	n := 0
	for n < len(dst) {
		m, err := r.Read(dst[n:])
		n += m
		if err == io.EOF {
			return n, nil
		}
		if err != nil {
			return n, err
		}
	}
	var probe [1]byte
	for range 64 {
		m, err := r.Read(probe[:])
		if m > 0 {
			return n, errTooBig
		}
		if err == io.EOF {
			return n, nil
		}
		if err != nil {
			return n, err
		}
	}
	return n, errors.New("decompressor makes no progress")
}

type sqZlib struct {
	br bytes.Reader
	zr io.ReadCloser
}

func (d *sqZlib) decompress(dst, src []byte) (int, error) {
	d.br.Reset(src)
	if d.zr == nil {
		zr, err := zlib.NewReader(&d.br)
		if err != nil {
			return 0, err
		}
		d.zr = zr
	} else if err := d.zr.(zlib.Resetter).Reset(&d.br, nil); err != nil {
		return 0, err
	}
	return readInto(d.zr, dst)
}

// sqLZMA and sqXZ decode a block in one call with dst as the dictionary, which squashfs allows
// since a block's size is known; that is about a third faster than a streaming decoder.
type sqLZMA struct{ d *xzblock.Decoder }

func (d *sqLZMA) decompress(dst, src []byte) (int, error) {
	return xzResult(d.d.DecodeLZMA(dst, src))
}

type sqXZ struct {
	maxDict int
	d       *xzblock.Decoder // reused across blocks: its probability tables are allocated once
}

func (d *sqXZ) decompress(dst, src []byte) (int, error) {
	dict, err := xzDictSize(src)
	if err != nil {
		return 0, err
	}
	if dict > int64(d.maxDict) {
		return 0, fmt.Errorf("xz dictionary of %d bytes exceeds the %d a squashfs block needs", dict, d.maxDict)
	}
	return xzResult(d.d.Decode(dst, src))
}

// xzResult maps xzblock's overflow error to the one squashfs callers check for.
func xzResult(n int, err error) (int, error) {
	if errors.Is(err, xzblock.ErrTooBig) {
		return n, fmt.Errorf("%w: %w", errTooBig, err)
	}
	return n, err
}

// xzDictSize reads the LZMA2 dictionary size from the first block header of an xz stream (a
// squashfs block is one stream of one block), so it can be checked before the decoder allocates it.
func xzDictSize(s []byte) (int64, error) {
	const streamHeader = 12
	if len(s) < streamHeader+2 {
		return 0, errors.New("xz stream too short")
	}
	h := s[streamHeader:]
	hsize := (int(h[0]) + 1) * 4
	if h[0] == 0 || len(h) < hsize {
		return 0, errors.New("xz block header missing")
	}
	h = h[:hsize-4] // without its CRC32
	flags := h[1]
	p := 2
	uvarint := func() (uint64, bool) {
		var v uint64
		for i := 0; i < 9 && p < len(h); i++ {
			c := h[p]
			p++
			v |= uint64(c&0x7f) << (7 * i)
			if c&0x80 == 0 {
				return v, true
			}
		}
		return 0, false
	}
	if flags&0x40 != 0 {
		if _, ok := uvarint(); !ok {
			return 0, errors.New("xz block header: bad compressed size")
		}
	}
	if flags&0x80 != 0 {
		if _, ok := uvarint(); !ok {
			return 0, errors.New("xz block header: bad uncompressed size")
		}
	}
	for range int(flags&3) + 1 {
		id, ok := uvarint()
		if !ok {
			return 0, errors.New("xz block header: bad filter id")
		}
		n, ok := uvarint()
		if !ok || n > uint64(len(h)-p) {
			return 0, errors.New("xz block header: bad filter properties")
		}
		props := h[p : p+int(n)]
		p += int(n)
		if id == 0x21 { // LZMA2
			if len(props) != 1 || props[0] > 40 {
				return 0, errors.New("xz block header: bad LZMA2 properties")
			}
			if props[0] == 40 {
				return 1<<32 - 1, nil
			}
			return int64(2|props[0]&1) << (props[0]/2 + 11), nil
		}
	}
	return 0, errors.New("xz block header: no LZMA2 filter")
}

type sqLZO struct{}

func (sqLZO) decompress(dst, src []byte) (int, error) {
	n, err := lzo.Decompress(src, dst)
	if errors.Is(err, lzo.ErrOutputOverrun) {
		return n, errTooBig
	}
	return n, err
}

type sqLZ4 struct{}

func (sqLZ4) decompress(dst, src []byte) (int, error) {
	return lz4.UncompressBlock(src, dst)
}

type sqZstd struct{ d *zstd.Decoder }

func (d *sqZstd) Close() error {
	d.d.Close()
	return nil
}

// closeSqDecompressor releases what a decompressor holds beyond memory (zstd's goroutines).
func closeSqDecompressor(d sqDecompressor) {
	if c, ok := d.(io.Closer); ok {
		c.Close()
	}
}

func (d *sqZstd) decompress(dst, src []byte) (int, error) {
	// Capacity cut to len(dst): the decoder may copy in wide strides past what it decodes, and
	// beyond dst lies the next block, which another goroutine may be filling.
	out, err := d.d.DecodeAll(src, dst[:0:len(dst)])
	if err != nil {
		if len(out) > len(dst) || errors.Is(err, zstd.ErrDecoderSizeExceeded) {
			return 0, errTooBig
		}
		return 0, err
	}
	if len(out) > len(dst) {
		return 0, errTooBig
	}
	if len(out) > 0 && &out[0] != &dst[0] {
		copy(dst, out)
	}
	return len(out), nil
}
