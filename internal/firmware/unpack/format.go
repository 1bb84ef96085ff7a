package unpack

// Format is one kind of image this package takes apart.
type Format struct {
	Name string // "squashfs", "gzip", ...
	// Magics locate candidates: an image of this format holds one of these byte strings at its
	// Offset from the image's start.
	Magics []Magic
	// Kind says what the format's entries are, which decides how they are searched in turn:
	// the files of a file system or archive are examined at their start only; the payloads of a
	// container or stream are raw blobs, searched for embedded images at every offset.
	Kind Kind
	// Unpack reads an image that begins at data[0]; data may run on past its end. It returns the
	// image's entries and how many bytes of data the image occupies (0 when that cannot be told,
	// which stops carving after it). Errors are *FormatError with offsets relative to data[0], or
	// wrap ErrLimit.
	Unpack func(data []byte, b *Budget) (*Tree, int64, error)
}

// Magic is a byte string at a fixed offset from an image's start.
type Magic struct {
	Offset int
	Bytes  string
}

// Kind classifies formats by what their entries hold.
type Kind int

const (
	// FileSystem formats (squashfs, ext4, cpio, tar, ...) hold named files with metadata.
	FileSystem Kind = iota
	// Container formats (uImage, FIT, TRX, UBI volumes) and compressed streams hold raw payloads.
	Container
)

// Formats lists every format, in the order candidates at the same offset are tried.
func Formats() []Format {
	return []Format{
		// file systems with strong magics first
		squashfsFormat,
		cramfsFormat,
		ubifsFormat,

		extFormat,
		cpioFormat,
		tarFormat,
		jffs2Format,
		// containers and streams
		uimageFormat,
		fitFormat,
		trxFormat,
		ubiFormat,
		xzFormat,
		gzipFormat,
		bzip2Format,
		zstdFormat,
		lz4Format,
		lzmaFormat,
	}
}
