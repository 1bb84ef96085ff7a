package xzblock

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/siegel-oss/siegel/internal/testtool"
	txz "github.com/therootcompany/xz"
	"github.com/ulikunitz/xz/lzma"
)

// compress runs the real xz with args over data.
func compress(t testing.TB, data []byte, args ...string) []byte {
	t.Helper()
	xz := testtool.Path(t, "xz")
	cmd := exec.Command(xz, append([]string{"-c", "-q"}, args...)...)
	cmd.Stdin = bytes.NewReader(data)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		t.Fatalf("xz %s: %v: %s", strings.Join(args, " "), err, errb.String())
	}
	return out.Bytes()
}

// elfData returns up to n bytes of ELF executables from /usr/bin, concatenated.
func elfData(t testing.TB, n int) []byte {
	t.Helper()
	names, _ := filepath.Glob("/usr/bin/*")
	slices.Sort(names)
	var out []byte
	for _, name := range names {
		if len(out) >= n {
			break
		}
		fi, err := os.Stat(name)
		if err != nil || !fi.Mode().IsRegular() || fi.Size() > 4<<20 {
			continue
		}
		b, err := os.ReadFile(name)
		if err != nil || !bytes.HasPrefix(b, []byte("\x7fELF")) {
			continue
		}
		out = append(out, b...)
	}
	if len(out) < n {
		t.Skipf("only %d bytes of ELF files in /usr/bin", len(out))
	}
	return out[:n]
}

// corpora returns named inputs of several kinds and sizes, deterministic across runs.
func corpora(t testing.TB) map[string][]byte {
	rng := rand.New(rand.NewPCG(1, 2))
	random := make([]byte, 1<<20)
	for i := range random {
		random[i] = byte(rng.Uint32())
	}
	words := strings.Fields("the firmware image holds a squashfs file system whose blocks are compressed with xz or lzma and unpacked by siegel to find the packages inside")
	var text bytes.Buffer
	for text.Len() < 1<<20 {
		text.WriteString(words[rng.IntN(len(words))])
		if rng.IntN(12) == 0 {
			text.WriteString(".\n")
		} else {
			text.WriteByte(' ')
		}
	}
	repetitive := bytes.Repeat([]byte("abcabcabd"), 1<<20/9)
	elf := elfData(t, 1<<20)
	// Mixed: runs of zeros, text, random and code, as a file system block holds.
	var mixed []byte
	mixed = append(mixed, make([]byte, 5000)...)
	mixed = append(mixed, text.Bytes()[:100000]...)
	mixed = append(mixed, random[:50000]...)
	mixed = append(mixed, elf[:300000]...)
	return map[string][]byte{
		"empty":      {},
		"one":        {'x'},
		"zero-run":   make([]byte, 70000),
		"random-1M":  random,
		"random-3k":  random[:3000],
		"text-1M":    text.Bytes()[:1<<20],
		"text-100k":  text.Bytes()[:100000],
		"repetitive": repetitive,
		"elf-1M":     elf,
		"elf-200k":   elf[:200000],
		"mixed":      mixed,
	}
}

func TestDecodeRoundTrip(t *testing.T) {
	data := corpora(t)
	configs := [][]string{
		{"--check=crc32", "-6"},
		{"--check=crc64", "-0"},
		{"--check=sha256", "-9"},
		{"--check=none", "-1"},
		{"--check=crc32", "--lzma2=preset=6,dict=1MiB"},
		{"--check=crc32", "--lzma2=preset=6e,dict=64KiB"},
		{"--check=crc32", "--lzma2=preset=6,lc=0,lp=4,pb=4"},
		{"--check=crc32", "--lzma2=preset=3,lc=4,lp=0,pb=0"},
		{"--check=crc32", "--lzma2=preset=6,lc=1,lp=2,pb=1,mode=fast"},
		{"--check=crc32", "--block-size=100KiB", "-6"},
		{"--check=crc64", "-T2", "--block-size=300KiB", "-6"}, // sizes in the block headers
	}
	d := NewDecoder(64 << 20)
	for name, in := range data {
		for _, args := range configs {
			if testing.Short() && len(in) > 100000 {
				continue
			}
			if len(in) >= 1<<20 && !strings.HasPrefix(name, "mixed") && args[len(args)-1] != "-6" && args[1] != "--lzma2=preset=6,dict=1MiB" {
				continue // keep the run short: big inputs with the configurations squashfs uses
			}
			t.Run(name+"/"+strings.Join(args, " "), func(t *testing.T) {
				z := compress(t, in, append([]string{"--format=xz"}, args...)...)
				checkDecode(t, d, in, z)
			})
		}
	}
}

func checkDecode(t *testing.T, d *Decoder, want, z []byte) {
	t.Helper()
	for _, extra := range []int{0, 7} {
		dst := make([]byte, len(want)+extra)
		n, err := d.Decode(dst, z)
		if err != nil {
			t.Fatalf("Decode (dst %d bytes): %v", len(dst), err)
		}
		if !bytes.Equal(dst[:n], want) {
			t.Fatalf("Decode (dst %d bytes): %d bytes differ from the %d input bytes", len(dst), n, len(want))
		}
	}
	if len(want) > 0 {
		_, err := d.Decode(make([]byte, len(want)-1), z)
		if !errors.Is(err, ErrTooBig) {
			t.Fatalf("Decode into a buffer one byte short: err = %v, want ErrTooBig", err)
		}
	}
}

func TestDecodeBCJ(t *testing.T) {
	elf := elfData(t, 1<<20)
	rng := rand.New(rand.NewPCG(3, 4))
	random := make([]byte, 300000)
	for i := range random {
		random[i] = byte(rng.Uint32())
	}
	// Code-like data for the other architectures: random words, a share of them turned into the
	// branch instructions each filter rewrites.
	code := slices.Clone(random)
	for i := 0; i+16 <= len(code); i += 16 {
		switch rng.IntN(6) {
		case 0:
			code[i+3] = 0xEB // ARM BL
		case 1:
			code[i+1], code[i+3] = 0xF0|code[i+1]&7, 0xF8|code[i+3]&7 // Thumb BL
		case 2:
			code[i], code[i+3] = 0x48|code[i]&3, code[i+3]&^3|1 // PowerPC bl
		case 3:
			code[i], code[i+1] = 0x40, code[i+1]&0x3F // SPARC call
		case 4:
			code[i] = 0x10 | code[i]&1 // IA-64 template with a branch slot
		case 5:
			code[i] = 0xE8 // x86 call
		}
	}
	d := NewDecoder(64 << 20)
	for _, filter := range []string{"--x86", "--x86=start=16", "--arm", "--armthumb", "--powerpc", "--sparc", "--ia64", "--arm=start=64"} {
		for name, in := range map[string][]byte{"elf": elf, "code": code, "small": code[:37], "tiny": code[:3], "empty": nil} {
			t.Run(filter+"/"+name, func(t *testing.T) {
				z := compress(t, in, "--format=xz", "--check=crc32", filter, "--lzma2=preset=6")
				checkDecode(t, d, in, z)
			})
		}
	}
}

func TestDecodeLZMA(t *testing.T) {
	data := corpora(t)
	d := NewDecoder(64 << 20)
	for name, in := range data {
		for _, args := range [][]string{{"-6"}, {"--lzma1=preset=6,lc=4,lp=0,pb=0"}, {"--lzma1=preset=1,lc=0,lp=4,pb=4"}} {
			if len(in) >= 1<<20 && args[0] != "-6" {
				continue
			}
			t.Run(name+"/"+args[0], func(t *testing.T) {
				z := compress(t, in, append([]string{"--format=lzma"}, args...)...)
				checkLZMA(t, d, in, z)
				// squashfs writers state the size in the header; the end marker then goes unread.
				known := slices.Clone(z)
				binary.LittleEndian.PutUint64(known[5:13], uint64(len(in)))
				checkLZMA(t, d, in, known)
			})
		}
	}
}

// TestDecodeLZMAWideLiterals covers lc+lp above 4, which .lzma allows but xz cannot write;
// ulikunitz's encoder can.
func TestDecodeLZMAWideLiterals(t *testing.T) {
	in := corpora(t)["mixed"][:200000]
	d := NewDecoder(64 << 20)
	for _, p := range []lzma.Properties{{LC: 8, LP: 0, PB: 2}, {LC: 5, LP: 3, PB: 0}, {LC: 8, LP: 4, PB: 4}} {
		t.Run(fmt.Sprintf("lc=%d,lp=%d,pb=%d", p.LC, p.LP, p.PB), func(t *testing.T) {
			for _, sized := range []bool{false, true} {
				var buf bytes.Buffer
				w, err := lzma.WriterConfig{Properties: &p, SizeInHeader: sized, Size: int64(len(in))}.NewWriter(&buf)
				if err != nil {
					t.Fatal(err)
				}
				if _, err := w.Write(in); err != nil {
					t.Fatal(err)
				}
				if err := w.Close(); err != nil {
					t.Fatal(err)
				}
				checkLZMA(t, d, in, buf.Bytes())
			}
		})
	}
}

func checkLZMA(t *testing.T, d *Decoder, want, z []byte) {
	t.Helper()
	for _, extra := range []int{0, 5} {
		dst := make([]byte, len(want)+extra)
		n, err := d.DecodeLZMA(dst, z)
		if err != nil {
			t.Fatalf("DecodeLZMA (dst %d bytes): %v", len(dst), err)
		}
		if !bytes.Equal(dst[:n], want) {
			t.Fatalf("DecodeLZMA (dst %d bytes): %d bytes differ from the %d input bytes", len(dst), n, len(want))
		}
	}
	if len(want) > 0 {
		_, err := d.DecodeLZMA(make([]byte, len(want)-1), z)
		if !errors.Is(err, ErrTooBig) {
			t.Fatalf("DecodeLZMA into a buffer one byte short: err = %v, want ErrTooBig", err)
		}
	}
}

func TestPackageFuncs(t *testing.T) {
	in := []byte(strings.Repeat("package-level decoders share pooled state. ", 100))
	dst := make([]byte, len(in))
	for _, tc := range []struct {
		name   string
		decode func(dst, src []byte) (int, error)
		args   []string
	}{
		{"Decode", Decode, []string{"--format=xz"}},
		{"DecodeLZMA", DecodeLZMA, []string{"--format=lzma"}},
	} {
		n, err := tc.decode(dst, compress(t, in, tc.args...))
		if err != nil || !bytes.Equal(dst[:n], in) {
			t.Errorf("%s: n=%d err=%v, want the input back", tc.name, n, err)
		}
	}
}

func TestDictTooLarge(t *testing.T) {
	in := []byte("a squashfs block never needs a dictionary larger than the block")
	d := NewDecoder(1 << 20)
	dst := make([]byte, len(in))
	if _, err := d.Decode(dst, compress(t, in, "--format=xz", "--lzma2=preset=6,dict=2MiB")); !errors.Is(err, ErrDictTooLarge) {
		t.Errorf("xz with a 2 MiB dictionary: err = %v, want ErrDictTooLarge", err)
	}
	if n, err := d.Decode(dst, compress(t, in, "--format=xz", "--lzma2=preset=6,dict=1MiB")); err != nil || !bytes.Equal(dst[:n], in) {
		t.Errorf("xz with a 1 MiB dictionary: n=%d err=%v", n, err)
	}
	if _, err := d.DecodeLZMA(dst, compress(t, in, "--format=lzma", "--lzma1=preset=6,dict=2MiB")); !errors.Is(err, ErrDictTooLarge) {
		t.Errorf("lzma with a 2 MiB dictionary: err = %v, want ErrDictTooLarge", err)
	}
}

// corruptStreams returns streams to damage: several check types, filters and formats.
func corruptStreams(t *testing.T) []struct {
	name  string
	in, z []byte
	lzma  bool
} {
	data := corpora(t)
	in := data["mixed"][:120000]
	elf := data["elf-200k"][:60000]
	return []struct {
		name  string
		in, z []byte
		lzma  bool
	}{
		{"crc32", in, compress(t, in, "--format=xz", "--check=crc32", "-6"), false},
		{"crc64-blocks", in, compress(t, in, "--format=xz", "--check=crc64", "--block-size=40KiB", "-2"), false},
		{"sha256", in, compress(t, in, "--format=xz", "--check=sha256", "-6"), false},
		{"none", in, compress(t, in, "--format=xz", "--check=none", "-6"), false},
		{"x86", elf, compress(t, elf, "--format=xz", "--check=crc32", "--x86", "--lzma2=preset=6"), false},
		{"lzma", in, compress(t, in, "--format=lzma", "-6"), true},
		{"small", []byte("hello"), compress(t, []byte("hello"), "--format=xz", "--check=crc32"), false},
	}
}

func decodeAny(d *Decoder, lzma bool, dst, src []byte) (int, error) {
	if lzma {
		return d.DecodeLZMA(dst, src)
	}
	return d.Decode(dst, src)
}

func TestTruncated(t *testing.T) {
	d := NewDecoder(64 << 20)
	for _, s := range corruptStreams(t) {
		t.Run(s.name, func(t *testing.T) {
			dst := make([]byte, len(s.in)+100)
			for cut := 0; cut < len(s.z); cut += 97 {
				n, err := decodeAny(d, s.lzma, dst, s.z[:cut])
				if err == nil {
					t.Fatalf("truncated to %d of %d bytes: decoded %d bytes without error", cut, len(s.z), n)
				}
				var e *Error
				if !errors.As(err, &e) || e.Offset < 0 || e.Offset > cut {
					t.Fatalf("truncated to %d bytes: error %v has no offset within the input", cut, err)
				}
			}
		})
	}
}

func TestCorrupted(t *testing.T) {
	d := NewDecoder(64 << 20)
	for _, s := range corruptStreams(t) {
		t.Run(s.name, func(t *testing.T) {
			dst := make([]byte, len(s.in)+100)
			rng := rand.New(rand.NewPCG(5, 6))
			z := slices.Clone(s.z)
			// Every byte of small streams; a sample of the rest, always including the headers
			// and the tail (index and footer).
			for i := range z {
				if len(z) > 300 && i > 64 && i < len(z)-64 && rng.IntN(60) != 0 {
					continue
				}
				flip := byte(1 << rng.IntN(8))
				z[i] ^= flip
				n, err := decodeAny(d, s.lzma, dst, z)
				z[i] ^= flip
				if n < 0 || n > len(dst) {
					t.Fatalf("flip at %d: n = %d out of range", i, n)
				}
				if err != nil {
					var e *Error
					if !errors.As(err, &e) {
						t.Fatalf("flip at %d: error %v is not an *Error", i, err)
					}
					continue
				}
				// Without a check, a flip in the LZMA data may decode to other bytes; the lzma
				// format has no check at all, and its header's size field may grow into the
				// destination's spare room.
				if s.name == "none" || s.lzma {
					continue
				}
				t.Fatalf("flip of bit 0x%02x at byte %d of %d: decoded %d bytes without error", flip, i, len(z), n)
			}
		})
	}
}

// TestCorruptedHeaders damages fields whose errors should name them.
func TestCorruptedHeaders(t *testing.T) {
	in := []byte(strings.Repeat("header fields ", 50))
	z := compress(t, in, "--format=xz", "--check=crc32", "-6")
	dst := make([]byte, len(in))
	data := 12 + (int(z[12])+1)*4 // the first LZMA2 control byte
	if z[data] != 0xE0 {
		t.Fatalf("first LZMA2 chunk control 0x%02x, want 0xe0", z[data])
	}
	for _, tc := range []struct {
		name   string
		mutate func(z []byte)
		want   string
		offset int
	}{
		{"magic", func(z []byte) { z[0] = 0 }, "not an xz stream", 0},
		{"stream flags", func(z []byte) { z[7] = 3 }, "stream header CRC32", 8},
		{"footer magic", func(z []byte) { z[len(z)-1] = 'X' }, "footer magic", len(z) - 2},
		{"block header crc", func(z []byte) { z[13] ^= 0x40 }, "block header CRC32", -1},
		{"LZMA2 control", func(z []byte) { z[data] = 0x03 }, "invalid LZMA2 chunk control 0x03", data},
		{"LZMA2 no dict reset", func(z []byte) { z[data] = 0x80 }, "without the dictionary reset", data},
		{"LZMA2 lc+lp", func(z []byte) { z[data+5] = 1*9 + 4 }, "invalid LZMA properties", data + 5},
		{"trailing data", nil, "after the end of the stream", len(z) + 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			zz := slices.Clone(z)
			if tc.mutate != nil {
				tc.mutate(zz)
			} else {
				zz = append(zz, 0, 0, 0, 1)
			}
			_, err := Decode(dst, zz)
			var e *Error
			if !errors.As(err, &e) || !strings.Contains(e.What, tc.want) || (tc.offset >= 0 && e.Offset != tc.offset) {
				t.Errorf("err = %v, want %q at byte %d", err, tc.want, tc.offset)
			}
		})
	}
	// Stream padding (zeros in fours) is allowed.
	if n, err := Decode(dst, append(slices.Clone(z), 0, 0, 0, 0)); err != nil || n != len(in) {
		t.Errorf("with stream padding: n=%d err=%v", n, err)
	}
}

func FuzzDecode(f *testing.F) {
	for _, in := range [][]byte{nil, []byte("a"), []byte(strings.Repeat("fuzz seed ", 40)), bytes.Repeat([]byte{0, 1, 2, 0xE8, 0, 0, 0, 0}, 30)} {
		f.Add(compress(f, in, "--format=xz", "--check=crc32"), false)
		f.Add(compress(f, in, "--format=xz", "--check=none", "--x86", "--lzma2"), false)
		f.Add(compress(f, in, "--format=xz", "--check=crc64", "--arm", "--lzma2=preset=0"), false)
		f.Add(compress(f, in, "--format=lzma"), true)
	}
	d := NewDecoder(1 << 20)
	dst := make([]byte, 4096)
	f.Fuzz(func(t *testing.T, src []byte, lzma bool) {
		n, err := decodeAny(d, lzma, dst, src)
		if n < 0 || n > len(dst) {
			t.Fatalf("n = %d out of range", n)
		}
		if err != nil {
			var e *Error
			if !errors.As(err, &e) || e.Offset < 0 || e.Offset > len(src) {
				t.Fatalf("error %v is not an *Error with an offset within the input", err)
			}
		}
	})
}

// benchInput is 1 MiB of mixed binary data: ELF executables, as squashfs blocks of /usr/bin hold.
func benchInput(b *testing.B) []byte { return elfData(b, 1<<20) }

func BenchmarkDecode(b *testing.B) {
	in := benchInput(b)
	for _, c := range []struct{ name, filter string }{{"lzma2", ""}, {"x86+lzma2", "--x86"}} {
		args := []string{"--format=xz", "--check=crc32"}
		if c.filter != "" {
			args = append(args, c.filter)
		}
		args = append(args, "--lzma2=preset=6,dict=1MiB")
		z := compress(b, in, args...)
		dst := make([]byte, len(in))
		b.Run(c.name+"/xzblock", func(b *testing.B) {
			d := NewDecoder(1 << 20)
			b.SetBytes(int64(len(in)))
			for b.Loop() {
				if n, err := d.Decode(dst, z); err != nil || n != len(in) {
					b.Fatalf("n=%d err=%v", n, err)
				}
			}
		})
		b.Run(c.name+"/therootcompany", func(b *testing.B) {
			var br bytes.Reader
			br.Reset(z)
			r, err := txz.NewReader(&br, 1<<20)
			if err != nil {
				b.Fatal(err)
			}
			r.Multistream(false)
			b.SetBytes(int64(len(in)))
			for b.Loop() {
				br.Reset(z)
				if err := r.Reset(&br); err != nil {
					b.Fatal(err)
				}
				if n, err := io.ReadFull(r, dst); err != nil || n != len(in) {
					b.Fatalf("n=%d err=%v", n, err)
				}
			}
		})
	}
}

func BenchmarkDecodeLZMA(b *testing.B) {
	in := benchInput(b)
	z := compress(b, in, "--format=lzma", "-6")
	binary.LittleEndian.PutUint64(z[5:13], uint64(len(in)))
	dst := make([]byte, len(in))
	b.Run("xzblock", func(b *testing.B) {
		d := NewDecoder(8 << 20)
		b.SetBytes(int64(len(in)))
		for b.Loop() {
			if n, err := d.DecodeLZMA(dst, z); err != nil || n != len(in) {
				b.Fatalf("n=%d err=%v", n, err)
			}
		}
	})
	b.Run("ulikunitz", func(b *testing.B) {
		var br bytes.Reader
		b.SetBytes(int64(len(in)))
		for b.Loop() {
			br.Reset(z)
			r, err := lzma.ReaderConfig{DictCap: 8 << 20}.NewReader(&br)
			if err != nil {
				b.Fatal(err)
			}
			if n, err := io.ReadFull(r, dst); err != nil || n != len(in) {
				b.Fatalf("n=%d err=%v", n, err)
			}
		}
	})
}
