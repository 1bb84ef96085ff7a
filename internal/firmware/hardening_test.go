package firmware

import (
	"bytes"
	"debug/elf"
	"encoding/binary"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/siegel-oss/siegel/internal/testtool"

	"github.com/google/go-cmp/cmp"

	"github.com/siegel-oss/siegel/internal/firmware/unpack"
)

const hardeningProgram = `#include <stdio.h>
#include <string.h>
int main(int argc, char **argv) {
	char buf[64];
	strcpy(buf, argv[0]);
	printf("%s %d\n", buf, argc);
	return buf[1];
}
`

// hardeningGCC compiles hardeningProgram with flags, or skips (fails when tools are required).
func hardeningGCC(t *testing.T, flags ...string) []byte {
	t.Helper()
	gcc := testtool.Path(t, "gcc")
	dir := t.TempDir()
	src := filepath.Join(dir, "p.c")
	if err := os.WriteFile(src, []byte(hardeningProgram), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "p")
	args := append(append([]string{}, flags...), "-o", out, src)
	if msg, err := exec.Command(gcc, args...).CombinedOutput(); err != nil {
		if strings.Contains(string(msg), "cannot find -lc") && !testtool.Required() {
			t.Skipf("static libc missing: %s", msg)
		}
		t.Fatalf("gcc %v: %v\n%s", args, err, msg)
	}
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

const (
	hardenedFlags   = "-O2 -D_FORTIFY_SOURCE=2 -fstack-protector-strong -fPIE -pie -Wl,-z,relro,-z,now"
	unhardenedFlags = "-O0 -U_FORTIFY_SOURCE -fno-stack-protector -fno-pie -no-pie -Wl,-z,norelro -z execstack -s"
)

func TestELFHardeningGCC(t *testing.T) {
	tests := []struct {
		name  string
		flags string
		check func(t *testing.T, h Hardening)
	}{
		{"hardened", hardenedFlags, func(t *testing.T, h Hardening) {
			want := Hardening{Arch: "x86_64", Class: 64, Endian: "little", Kind: "pie", GNUStack: true, NX: true, PIE: true,
				RELRO: RELROFull, Canary: true, Fortify: true, FortifiedCount: 2}
			if diff := cmp.Diff(want, h); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		}},
		{"unhardened", unhardenedFlags, func(t *testing.T, h Hardening) {
			want := Hardening{Arch: "x86_64", Class: 64, Endian: "little", Kind: "executable", GNUStack: true, NX: false, PIE: false,
				RELRO: RELRONone, Stripped: true}
			if diff := cmp.Diff(want, h); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		}},
		{"partial-relro", "-O0 -Wl,-z,relro,-z,lazy", func(t *testing.T, h Hardening) {
			if h.RELRO != RELROPartial {
				t.Errorf("RELRO = %q, want partial", h.RELRO)
			}
		}},
		{"canary-only", "-O0 -fstack-protector-strong -U_FORTIFY_SOURCE", func(t *testing.T, h Hardening) {
			if !h.Canary || h.Fortify {
				t.Errorf("Canary %v Fortify %v, want true false", h.Canary, h.Fortify)
			}
		}},
		{"fortify-only", "-O2 -D_FORTIFY_SOURCE=2 -fno-stack-protector", func(t *testing.T, h Hardening) {
			if h.Canary || !h.Fortify || h.FortifiedCount != 2 {
				t.Errorf("Canary %v Fortify %v (%d), want false true (2)", h.Canary, h.Fortify, h.FortifiedCount)
			}
		}},
		{"rpath", "-O0 -Wl,--disable-new-dtags,-rpath,/tmp/lib:$ORIGIN/../lib", func(t *testing.T, h Hardening) {
			if diff := cmp.Diff([]string{"/tmp/lib", "$ORIGIN/../lib"}, h.RPATH); diff != "" || h.RUNPATH != nil {
				t.Errorf("RPATH (-want +got):\n%s RUNPATH %q", diff, h.RUNPATH)
			}
		}},
		{"runpath", "-O0 -Wl,--enable-new-dtags,-rpath,/opt/lib", func(t *testing.T, h Hardening) {
			if diff := cmp.Diff([]string{"/opt/lib"}, h.RUNPATH); diff != "" || h.RPATH != nil {
				t.Errorf("RUNPATH (-want +got):\n%s RPATH %q", diff, h.RPATH)
			}
		}},
		{"static", "-O2 -static -fstack-protector-strong -D_FORTIFY_SOURCE=2", func(t *testing.T, h Hardening) {
			if !h.Static || h.Kind != "executable" || !h.Canary || !h.Fortify || h.Stripped {
				t.Errorf("static: got %s", h)
			}
		}},
		{"static-stripped", "-O2 -static -s", func(t *testing.T, h Hardening) {
			if !h.Static || !h.SymbolsUnknown || !h.Stripped {
				t.Errorf("static stripped: got %s", h)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			data := hardeningGCC(t, strings.Fields(tt.flags)...)
			h, err := ELFHardening("p", data)
			if err != nil {
				t.Fatal(err)
			}
			tt.check(t, h)
		})
	}
}

// hardeningPatchMachine returns a copy of an ELF file claiming another machine, so the
// architecture-specific judgement can be tested without a cross compiler.
func hardeningPatchMachine(data []byte, m elf.Machine) []byte {
	out := bytes.Clone(data)
	binary.LittleEndian.PutUint16(out[18:], uint16(m))
	return out
}

func TestCheckHardening(t *testing.T) {
	hardened := hardeningGCC(t, strings.Fields(hardenedFlags)...)
	bare := hardeningGCC(t, strings.Fields(unhardenedFlags)...)
	execStack := hardeningGCC(t, strings.Fields(hardenedFlags+" -z execstack")...)

	tr := unpack.NewTree("test", nil)
	for _, e := range []unpack.Entry{
		{Path: "bin/busybox", Mode: 0o755, Data: bare},
		{Path: "usr/sbin/telnetd", Mode: fs.ModeSymlink | 0o777, Link: "/bin/busybox"},
		{Path: "usr/bin/ok", Mode: 0o755, Data: hardened},
		{Path: "usr/bin/plain", Mode: 0o755, Data: bare},
		{Path: "usr/bin/su", Mode: fs.ModeSetuid | 0o755, Data: bare},
		{Path: "usr/sbin/dropbear", Mode: 0o755, Data: execStack},
		{Path: "usr/sbin/httpd", Mode: 0o755, Data: hardeningPatchMachine(execStack, elf.EM_MIPS)},
		{Path: "usr/lib/notelf.so", Mode: 0o644, Data: []byte("\x7fELF garbage")},
		{Path: "etc/banner", Mode: 0o644, Data: []byte("hello")},
	} {
		if err := tr.Add(e); err != nil {
			t.Fatal(err)
		}
	}
	got := CheckHardening(tr)
	type row struct{ Path, Severity, ID string }
	var rows []row
	for _, w := range got {
		rows = append(rows, row{w.Path, w.Severity, w.ID})
		if w.Rule != "hardening" || len(w.Requirements) == 0 || w.Message == "" || w.Evidence == "" {
			t.Errorf("incomplete weakness %+v", w)
		}
	}
	want := []row{
		{"bin/busybox", "high", "missing-mitigations"},       // reached as telnetd
		{"usr/bin/plain", "low", "missing-mitigations"},      // not exposed
		{"usr/bin/su", "high", "missing-mitigations"},        // setuid
		{"usr/sbin/dropbear", "high", "missing-mitigations"}, // daemon with an executable stack
		{"usr/sbin/httpd", "low", "missing-mitigations"},     // same on MIPS: expected there
	}
	if diff := cmp.Diff(want, rows); diff != "" {
		t.Fatalf("(-want +got):\n%s", diff)
	}
	for _, w := range got {
		switch w.Path {
		case "bin/busybox":
			for _, s := range []string{"usr/sbin/telnetd", "non-executable stack", "stack canary", "PIE", "RELRO", "FORTIFY_SOURCE"} {
				if !strings.Contains(w.Message, s) {
					t.Errorf("busybox message lacks %q: %s", s, w.Message)
				}
			}
		case "usr/sbin/httpd":
			if !strings.Contains(w.Message, "Linux 4.8") || !strings.Contains(w.Evidence, "arch=mips") {
				t.Errorf("MIPS message does not explain the executable stack: %s / %s", w.Message, w.Evidence)
			}
		case "usr/bin/su":
			if !strings.Contains(w.Message, "setuid") {
				t.Errorf("su message does not say setuid: %s", w.Message)
			}
		}
	}
}

// hardeningTinyELF builds a 64-bit little-endian ELF file with program headers only (as sstrip
// leaves them), importing __stack_chk_fail and __printf_chk through DT_HASH.
func hardeningTinyELF() []byte {
	le := binary.LittleEndian
	const nph = 5
	phOff := 64
	strOff := phOff + nph*56
	dynstr := []byte("\x00__stack_chk_fail\x00__printf_chk\x00libc.so.6\x00")
	symOff := (strOff + len(dynstr) + 7) &^ 7
	hashOff := symOff + 3*24
	dynOff := hashOff + 4*(2+1+3)
	dyn := [][2]uint64{
		{uint64(elf.DT_NEEDED), 31}, {uint64(elf.DT_STRTAB), uint64(strOff)}, {uint64(elf.DT_STRSZ), uint64(len(dynstr))},
		{uint64(elf.DT_SYMTAB), uint64(symOff)}, {uint64(elf.DT_SYMENT), 24}, {uint64(elf.DT_HASH), uint64(hashOff)},
		{uint64(elf.DT_FLAGS), uint64(elf.DF_BIND_NOW)}, {uint64(elf.DT_FLAGS_1), uint64(elf.DF_1_PIE)}, {0, 0},
	}
	size := dynOff + len(dyn)*16
	b := make([]byte, size)
	copy(b, elf.ELFMAG)
	b[4], b[5], b[6] = byte(elf.ELFCLASS64), byte(elf.ELFDATA2LSB), byte(elf.EV_CURRENT)
	le.PutUint16(b[16:], uint16(elf.ET_DYN))
	le.PutUint16(b[18:], uint16(elf.EM_X86_64))
	le.PutUint32(b[20:], 1)
	le.PutUint64(b[24:], 0x100)
	le.PutUint64(b[32:], uint64(phOff))
	le.PutUint16(b[52:], 64)
	le.PutUint16(b[54:], 56)
	le.PutUint16(b[56:], nph)
	ph := func(i int, typ elf.ProgType, flags elf.ProgFlag, off, n int) {
		p := b[phOff+i*56:]
		le.PutUint32(p, uint32(typ))
		le.PutUint32(p[4:], uint32(flags))
		le.PutUint64(p[8:], uint64(off))
		le.PutUint64(p[16:], uint64(off))
		le.PutUint64(p[24:], uint64(off))
		le.PutUint64(p[32:], uint64(n))
		le.PutUint64(p[40:], uint64(n))
	}
	ph(0, elf.PT_LOAD, elf.PF_R|elf.PF_X, 0, size)
	ph(1, elf.PT_DYNAMIC, elf.PF_R|elf.PF_W, dynOff, len(dyn)*16)
	ph(2, elf.PT_GNU_STACK, elf.PF_R|elf.PF_W, 0, 0)
	ph(3, elf.PT_GNU_RELRO, elf.PF_R, dynOff, len(dyn)*16)
	ph(4, elf.PT_NOTE, elf.PF_R, 0, 0)
	copy(b[strOff:], dynstr)
	le.PutUint32(b[symOff+24:], 1)  // __stack_chk_fail, undefined
	le.PutUint32(b[symOff+48:], 18) // __printf_chk, undefined
	h := b[hashOff:]
	le.PutUint32(h, 1)
	le.PutUint32(h[4:], 3)
	for i, d := range dyn {
		le.PutUint64(b[dynOff+i*16:], d[0])
		le.PutUint64(b[dynOff+i*16+8:], d[1])
	}
	return b
}

func TestELFHardeningWithoutSections(t *testing.T) {
	h, err := ELFHardening("tiny", hardeningTinyELF())
	if err != nil {
		t.Fatal(err)
	}
	want := Hardening{Arch: "x86_64", Class: 64, Endian: "little", Kind: "pie", GNUStack: true, NX: true, PIE: true,
		RELRO: RELROFull, Canary: true, Fortify: true, FortifiedCount: 1, Stripped: true}
	if diff := cmp.Diff(want, h); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestELFHardeningErrors(t *testing.T) {
	tiny := hardeningTinyELF()
	for name, data := range map[string][]byte{
		"empty":     nil,
		"not-elf":   []byte("#!/bin/sh\n"),
		"truncated": tiny[:40],
		"bad-dynamic": func() []byte {
			b := bytes.Clone(tiny)
			binary.LittleEndian.PutUint64(b[64+56+8:], 1<<40) // PT_DYNAMIC offset far outside
			return b
		}(),
	} {
		if _, err := ELFHardening("bin/x", data); err == nil || !strings.Contains(err.Error(), "bin/x") {
			t.Errorf("%s: error %v, want one naming the file", name, err)
		}
	}
}

func FuzzELFHardening(f *testing.F) {
	f.Add(hardeningTinyELF())
	f.Add(hardeningPatchMachine(hardeningTinyELF(), elf.EM_MIPS))
	f.Add([]byte("\x7fELF\x01\x02\x01"))
	if data, err := os.ReadFile("/usr/bin/true"); err == nil {
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		h, err := ELFHardening("fuzz", data)
		if err == nil {
			_ = h.String()
			hardeningWeakness("fuzz", h, []string{"setuid"})
		}
	})
}

// BenchmarkELFHardening analyses the ELF files of this machine's /usr/bin and
// /usr/lib/x86_64-linux-gnu, loaded into memory first, and reports binaries per second.
func BenchmarkELFHardening(b *testing.B) {
	var files [][]byte
	var total int64
	for _, dir := range []string{"/usr/bin", "/usr/lib/x86_64-linux-gnu"} {
		ents, _ := os.ReadDir(dir)
		for _, de := range ents {
			if !de.Type().IsRegular() {
				continue
			}
			data, err := os.ReadFile(filepath.Join(dir, de.Name()))
			if err != nil || len(data) < 4 || string(data[:4]) != elf.ELFMAG {
				continue
			}
			files = append(files, data)
			total += int64(len(data))
		}
	}
	if len(files) == 0 {
		b.Skip("no ELF files found")
	}
	b.ResetTimer()
	n := 0
	for b.Loop() {
		for _, data := range files {
			_, _ = ELFHardening("bench", data)
		}
		n += len(files)
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "binaries/s")
	b.ReportMetric(float64(len(files)), "files")
	b.ReportMetric(float64(total)/float64(len(files)), "avg-bytes")
}
