package label

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"image"
	"image/png"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/makiuchi-d/gozxing"
	gozxingqr "github.com/makiuchi-d/gozxing/qrcode"
)

var qrURLs = []string{
	"https://label.siegel.example/label/SGL-2026-000042",
	"HTTPS://SIEGEL.EXAMPLE/L/42", // alphanumeric mode
	"http://localhost:8080/label/1?lang=de&view=print#status",
	"https://label.siegel.example/label/Größenprüfung-äöü", // UTF-8 in byte mode
	"https://label.siegel.example/label/" + strings.Repeat("0123456789abcdef", 20),
}

// decodeQR reads a QR code from an image with ZXing's algorithm (gozxing), independent of the
// encoder; it returns the text and the error correction level.
func decodeQR(t *testing.T, img image.Image) (text, level string) {
	t.Helper()
	bmp, err := gozxing.NewBinaryBitmapFromImage(img)
	if err != nil {
		t.Fatal(err)
	}
	res, err := gozxingqr.NewQRCodeReader().Decode(bmp, nil) // full detection, finder patterns and all
	if err != nil {
		t.Fatalf("decode: %v", err)
	}
	level, _ = res.GetResultMetadata()[gozxing.ResultMetadataType_ERROR_CORRECTION_LEVEL].(string)
	return res.GetText(), level
}

func TestQRPNGDecodes(t *testing.T) {
	for _, u := range qrURLs {
		t.Run(u[:min(len(u), 40)], func(t *testing.T) {
			b, err := QRPNG(u, 400)
			if err != nil {
				t.Fatal(err)
			}
			img, err := png.Decode(bytes.NewReader(b))
			if err != nil {
				t.Fatal(err)
			}
			if img.Bounds() != image.Rect(0, 0, 400, 400) {
				t.Errorf("bounds %v", img.Bounds())
			}
			text, level := decodeQR(t, img)
			if text != u || level != "M" {
				t.Errorf("decoded %q at level %q, want %q at M", text, level, u)
			}
		})
	}
}

// svgDoc is what the test reads of the SVG.
type svgDoc struct {
	XMLName xml.Name `xml:"http://www.w3.org/2000/svg svg"`
	ViewBox string   `xml:"viewBox,attr"`
	Title   string   `xml:"title"`
	Rect    struct {
		Width  string `xml:"width,attr"`
		Height string `xml:"height,attr"`
		Fill   string `xml:"fill,attr"`
	} `xml:"rect"`
	Path struct {
		Fill string `xml:"fill,attr"`
		D    string `xml:"d,attr"`
	} `xml:"path"`
}

// matrixOfSVG rebuilds the module matrix from the SVG's path of unit-height runs.
func matrixOfSVG(t *testing.T, data []byte) [][]bool {
	t.Helper()
	var doc svgDoc
	if err := xml.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	var n int
	if _, err := fmt.Sscanf(doc.ViewBox, "0 0 %d %d", &n, new(int)); err != nil || n <= 0 {
		t.Fatalf("viewBox %q", doc.ViewBox)
	}
	if doc.Rect.Width != strconv.Itoa(n) || doc.Rect.Fill != "#fff" || doc.Path.Fill != "#000" {
		t.Fatalf("background %+v, path fill %q", doc.Rect, doc.Path.Fill)
	}
	m := make([][]bool, n)
	for y := range m {
		m[y] = make([]bool, n)
	}
	for _, sub := range strings.Split(strings.TrimSuffix(doc.Path.D, "z"), "z") {
		var x, y, run, back int
		if _, err := fmt.Sscanf(sub, "M%d %dh%dv1h-%d", &x, &y, &run, &back); err != nil || run != back || run <= 0 {
			t.Fatalf("subpath %q: %v", sub, err)
		}
		if y < 0 || y >= n || x < 0 || x+run > n {
			t.Fatalf("subpath %q outside the %d-module square", sub, n)
		}
		for i := range run {
			if m[y][x+i] {
				t.Fatalf("subpath %q overlaps another", sub)
			}
			m[y][x+i] = true
		}
	}
	return m
}

func TestQRSVG(t *testing.T) {
	for _, u := range qrURLs {
		t.Run(u[:min(len(u), 40)], func(t *testing.T) {
			b, err := QRSVG(u)
			if err != nil {
				t.Fatal(err)
			}
			want, err := qrMatrix(u)
			if err != nil {
				t.Fatal(err)
			}
			got := matrixOfSVG(t, b)
			if diff := cmp.Diff(want, got); diff != "" {
				t.Fatalf("SVG modules differ from the encoder's (-want +got):\n%s", diff)
			}
			// The quiet zone is 4 light modules on every side.
			n := len(got)
			for y := range n {
				for x := range n {
					inside := x >= QuietZone && y >= QuietZone && x < n-QuietZone && y < n-QuietZone
					if got[y][x] && !inside {
						t.Fatalf("dark module at (%d, %d) in the quiet zone", x, y)
					}
				}
			}
			var doc svgDoc
			xml.Unmarshal(b, &doc)
			if doc.Title != u {
				t.Errorf("title %q", doc.Title)
			}
			img, err := imageOf(got, 8*n)
			if err != nil {
				t.Fatal(err)
			}
			if text, level := decodeQR(t, img); text != u || level != "M" {
				t.Errorf("decoded %q at level %q, want %q at M", text, level, u)
			}
		})
	}
}

func TestQRDeterministic(t *testing.T) {
	// Labels are printed and pages cached: one URL must always give the same code.
	for _, u := range qrURLs {
		a, _ := QRSVG(u)
		b, _ := QRSVG(u)
		if !bytes.Equal(a, b) {
			t.Errorf("%s: two SVGs differ", u)
		}
	}
}

func TestQRErrors(t *testing.T) {
	u := qrURLs[0]
	tests := []struct {
		name string
		fn   func() ([]byte, error)
		want string
	}{
		{"empty", func() ([]byte, error) { return QRSVG("") }, "empty URL"},
		{"too long", func() ([]byte, error) { return QRSVG(strings.Repeat("a", MaxQRBytes+1)) }, "at most 1024"},
		{"size zero", func() ([]byte, error) { return QRPNG(u, 0) }, "want 1 to 4096"},
		{"size huge", func() ([]byte, error) { return QRPNG(u, MaxPNGSize+1) }, "want 1 to 4096"},
		{"size below modules", func() ([]byte, error) { return QRPNG(u, 20) }, "smaller than the code's"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := tt.fn()
			if err == nil || !strings.Contains(err.Error(), tt.want) || b != nil {
				t.Errorf("got %d bytes, %v; want error containing %q", len(b), err, tt.want)
			}
		})
	}
	// The longest URL accepted still fits a QR code at level M.
	if _, err := QRPNG(strings.Repeat("a", MaxQRBytes), 1000); err != nil {
		t.Errorf("longest URL: %v", err)
	}
}
