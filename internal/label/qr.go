package label

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"strconv"

	qrcode "github.com/skip2/go-qrcode"
)

// QR code parameters. Error correction level M (about 15% of the code can be lost) suits a
// label printed on packaging; the quiet zone is the 4 modules ISO/IEC 18004 requires.
const (
	QuietZone  = 4
	MaxQRBytes = 1024 // longest URL encoded; a page URL is far shorter
	MaxPNGSize = 4096 // largest PNG side in pixels
)

// qrMatrix returns the QR code of text as modules, [y][x], dark true, with the quiet zone.
func qrMatrix(text string) (m [][]bool, err error) {
	switch {
	case text == "":
		return nil, errors.New("qr: empty URL")
	case len(text) > MaxQRBytes:
		return nil, fmt.Errorf("qr: URL of %d bytes, at most %d are encoded", len(text), MaxQRBytes)
	}
	// The encoder panics on its own internal inconsistencies; keep them from taking down a server.
	defer func() {
		if r := recover(); r != nil {
			m, err = nil, fmt.Errorf("qr: encoder failed: %v", r)
		}
	}()
	q, err := qrcode.New(text, qrcode.Medium)
	if err != nil {
		return nil, fmt.Errorf("qr: %w", err)
	}
	// The quiet zone is added here, not by the encoder, so that its width is ours to state. Bitmap
	// may be called only once: it finishes the encoding in place.
	q.DisableBorder = true
	code := q.Bitmap()
	n := len(code) + 2*QuietZone
	m = make([][]bool, n)
	for y := range m {
		m[y] = make([]bool, n)
	}
	for y, row := range code {
		if len(row) != len(code) {
			return nil, errors.New("qr: encoder returned a matrix that is not square")
		}
		copy(m[y+QuietZone][QuietZone:], row)
	}
	return m, nil
}

// QRSVG returns the QR code of url as an SVG document: one path of dark modules on a white
// square, one user unit per module, quiet zone included, so it scales to any size.
func QRSVG(url string) ([]byte, error) {
	m, err := qrMatrix(url)
	if err != nil {
		return nil, err
	}
	return svgOf(m, url), nil
}

func svgOf(m [][]bool, title string) []byte {
	n := strconv.Itoa(len(m))
	var b bytes.Buffer
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?>` + "\n")
	b.WriteString(`<svg xmlns="http://www.w3.org/2000/svg" version="1.1" viewBox="0 0 ` + n + " " + n +
		`" width="` + n + `mm" height="` + n + `mm" shape-rendering="crispEdges" role="img">` + "\n")
	b.WriteString("<title>")
	xml.EscapeText(&b, []byte(title))
	b.WriteString("</title>\n")
	b.WriteString(`<rect width="` + n + `" height="` + n + `" fill="#fff"/>` + "\n")
	b.WriteString(`<path fill="#000" d="`)
	// One subpath per horizontal run of dark modules: M x y h len v 1 h -len z.
	for y, row := range m {
		for x := 0; x < len(row); {
			if !row[x] {
				x++
				continue
			}
			run := 1
			for x+run < len(row) && row[x+run] {
				run++
			}
			fmt.Fprintf(&b, "M%d %dh%dv1h-%dz", x, y, run, run)
			x += run
		}
	}
	b.WriteString(`"/>` + "\n</svg>\n")
	return b.Bytes()
}

// QRPNG returns the QR code of url as a size x size PNG, black on white. Each module is a whole
// number of pixels, the code centred, so size must be at least the code's width in modules
// (quiet zone included: 29 for short URLs) and at most MaxPNGSize.
func QRPNG(url string, size int) ([]byte, error) {
	if size <= 0 || size > MaxPNGSize {
		return nil, fmt.Errorf("qr: PNG size %d, want 1 to %d pixels", size, MaxPNGSize)
	}
	m, err := qrMatrix(url)
	if err != nil {
		return nil, err
	}
	img, err := imageOf(m, size)
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	enc := png.Encoder{CompressionLevel: png.DefaultCompression}
	if err := enc.Encode(&b, img); err != nil {
		return nil, fmt.Errorf("qr: %w", err)
	}
	return b.Bytes(), nil
}

func imageOf(m [][]bool, size int) (*image.Paletted, error) {
	scale := size / len(m)
	if scale == 0 {
		return nil, fmt.Errorf("qr: PNG size %d is smaller than the code's %d modules", size, len(m))
	}
	img := image.NewPaletted(image.Rect(0, 0, size, size), color.Palette{color.White, color.Black})
	off := (size - scale*len(m)) / 2
	for y, row := range m {
		for x, dark := range row {
			if !dark {
				continue
			}
			for py := off + y*scale; py < off+(y+1)*scale; py++ {
				i := img.PixOffset(off+x*scale, py)
				for j := range scale {
					img.Pix[i+j] = 1
				}
			}
		}
	}
	return img, nil
}
