package firmware

import (
	"bytes"
	"debug/elf"
	"encoding/binary"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strings"

	"github.com/siegel-oss/siegel/internal/firmware/unpack"
)

// Hardening is what an ELF file's headers tell about the exploit mitigations it was built with.
type Hardening struct {
	Arch   string // machine without its "EM_" prefix, lower case: "x86_64", "mips", "arm", ...
	Class  int    // 32 or 64
	Endian string // "little" or "big"
	// Kind is "executable", "pie" (a position-independent executable), "shared-object" or
	// "static-pie"; relocatable objects and core files are not analysed.
	Kind string

	GNUStack bool // a PT_GNU_STACK header is present
	NX       bool // the stack is not executable: PT_GNU_STACK without PF_X
	PIE      bool // the executable is loaded at a random address (ET_DYN with an interpreter, or DF_1_PIE)
	RELRO    string
	Canary   bool // imports or defines __stack_chk_fail / __stack_chk_guard
	Fortify  bool // calls at least one _FORTIFY_SOURCE checking function
	// FortifiedCount is how many distinct __*_chk functions it calls.
	FortifiedCount int
	Stripped       bool // no .symtab
	Static         bool // no dynamic linking (no PT_INTERP and no DT_NEEDED)
	RPATH          []string
	RUNPATH        []string
	// SymbolsUnknown is set when neither a symbol table nor dynamic symbols exist (a static,
	// stripped file), so Canary and Fortify could not be told and are false for that reason.
	SymbolsUnknown bool
	// MemorySafe names the language when the binary is from a memory-safe toolchain whose code
	// needs no stack canary or fortified libc calls ("go").
	MemorySafe string
}

// RELRO values.
const (
	RELRONone    = "none"
	RELROPartial = "partial"
	RELROFull    = "full"
)

// ErrNotELF is returned by ELFHardening for data that does not start with the ELF magic.
var ErrNotELF = errors.New("not an ELF file")

// ErrNotLinked is returned by ELFHardening for relocatable objects (kernel modules, .o files)
// and core dumps, which have no program headers to analyse.
var ErrNotLinked = errors.New("ELF file is not an executable or shared object")

const (
	dtFlags1      = elf.DT_FLAGS_1
	df1Now        = uint64(elf.DF_1_NOW)
	df1PIE        = uint64(elf.DF_1_PIE)
	dfBindNow     = uint64(elf.DF_BIND_NOW)
	shnUndef      = 0
	maxDynsyms    = 1 << 22
	maxDynEntries = 1 << 16
)

// ELFHardening reads the mitigations of the ELF file data, named path in errors. It trusts
// nothing in data: malformed input yields an error (an *unpack.FormatError wrapped with the
// path), never a panic.
func ELFHardening(path string, data []byte) (h Hardening, err error) {
	if len(data) < 4 || string(data[:4]) != elf.ELFMAG {
		return h, fmt.Errorf("%s: %w", path, ErrNotELF)
	}
	f, err := openELF(data)
	if err != nil {
		return h, fmt.Errorf("%s: %w", path, err)
	}
	switch f.Type {
	case elf.ET_EXEC, elf.ET_DYN:
	default:
		return h, fmt.Errorf("%s: %w (type %v)", path, ErrNotLinked, f.Type)
	}
	h.Arch = strings.ToLower(strings.TrimPrefix(f.Machine.String(), "EM_"))
	h.Class = 32
	if f.Class == elf.ELFCLASS64 {
		h.Class = 64
	}
	h.Endian = "little"
	if f.Data == elf.ELFDATA2MSB {
		h.Endian = "big"
	}
	e := elfReader{data: data, bo: f.ByteOrder, is64: h.Class == 64, f: f}

	var interp, relro bool
	var dynProg *elf.Prog
	for _, p := range f.Progs {
		switch p.Type {
		case elf.PT_GNU_STACK:
			h.GNUStack = true
			h.NX = p.Flags&elf.PF_X == 0
		case elf.PT_INTERP:
			interp = true
		case elf.PT_GNU_RELRO:
			relro = true
		case elf.PT_DYNAMIC:
			dynProg = p
		}
	}

	dyn, err := e.dynamic(dynProg)
	if err != nil {
		return h, fmt.Errorf("%s: %w", path, err)
	}
	h.Static = !interp && len(dyn.needed) == 0
	switch {
	case f.Type == elf.ET_EXEC:
		h.Kind = "executable"
	case interp || dyn.flags1&df1PIE != 0:
		h.Kind = "pie"
		h.PIE = true
	case dynProg != nil && len(dyn.needed) == 0 && dyn.hasRelaOrRel && f.Entry != 0 && !dyn.hasSoname:
		// A static-pie relocates itself and has neither an interpreter nor a soname.
		h.Kind = "static-pie"
		h.PIE = true
	default:
		h.Kind = "shared-object"
		h.Static = false
	}
	switch {
	case !relro:
		h.RELRO = RELRONone
	case dyn.flags&dfBindNow != 0 || dyn.flags1&df1Now != 0 || dyn.bindNow:
		h.RELRO = RELROFull
	case h.Static:
		// Without a dynamic loader nothing is bound lazily: everything RELRO covers is
		// read-only once start-up code has run.
		h.RELRO = RELROFull
	default:
		h.RELRO = RELROPartial
	}
	for _, r := range dyn.rpath {
		h.RPATH = append(h.RPATH, strings.Split(r, ":")...)
	}
	for _, r := range dyn.runpath {
		h.RUNPATH = append(h.RUNPATH, strings.Split(r, ":")...)
	}

	symtab := f.SectionByType(elf.SHT_SYMTAB)
	h.Stripped = symtab == nil
	for _, s := range f.Sections {
		if s.Name == ".go.buildinfo" || s.Name == ".gopclntab" || s.Name == ".note.go.buildid" {
			h.MemorySafe = "go"
		}
	}

	var seen symbolScan
	if dyn.symtab != nil {
		seen.scan(e, dyn.symtab, dyn.strtab, true)
	}
	if symtab != nil && (h.Static || dyn.symtab == nil) {
		strs, err := e.sectionBytes(int(symtab.Link))
		if err != nil {
			return h, fmt.Errorf("%s: %w", path, err)
		}
		syms, err := e.sectionBytes(slices.Index(f.Sections, symtab))
		if err != nil {
			return h, fmt.Errorf("%s: %w", path, err)
		}
		seen.scan(e, syms, strs, false)
	}
	h.SymbolsUnknown = dyn.symtab == nil && symtab == nil
	h.Canary = seen.canary
	h.FortifiedCount = len(seen.fortified)
	h.Fortify = h.FortifiedCount > 0
	return h, nil
}

// openELF runs debug/elf's parser, which has panicked on malformed input in the past; a panic
// there becomes an error instead of bringing down a scan of a whole image.
func openELF(data []byte) (f *elf.File, err error) {
	defer func() {
		if r := recover(); r != nil {
			f, err = nil, &unpack.FormatError{Format: "elf", Offset: -1, Rule: "headers", Err: fmt.Errorf("debug/elf panicked: %v", r)}
		}
	}()
	f, err = elf.NewFile(bytes.NewReader(data))
	if err != nil {
		return nil, &unpack.FormatError{Format: "elf", Offset: -1, Rule: "headers", Err: err}
	}
	return f, nil
}

type elfReader struct {
	data []byte
	bo   binary.ByteOrder
	is64 bool
	f    *elf.File
}

func (e elfReader) errorf(off int64, rule, msg string, args ...any) error {
	return unpack.Errorf("elf", off, rule, msg, args...)
}

// slice returns data[off:off+n] or an error naming what lies outside the file.
func (e elfReader) slice(off, n uint64, what string) ([]byte, error) {
	if off > uint64(len(e.data)) || n > uint64(len(e.data))-off {
		return nil, e.errorf(int64(min(off, 1<<62)), what, "%d bytes at offset %d run past the end of the file (%d bytes)", n, off, len(e.data))
	}
	return e.data[off : off+n], nil
}

// sectionBytes is the content of section i, without copying.
func (e elfReader) sectionBytes(i int) ([]byte, error) {
	if i <= 0 || i >= len(e.f.Sections) {
		return nil, e.errorf(-1, "section link", "section index %d out of range", i)
	}
	s := e.f.Sections[i]
	if s.Type == elf.SHT_NOBITS {
		return nil, nil
	}
	if s.Flags&elf.SHF_COMPRESSED != 0 {
		return nil, e.errorf(int64(min(s.Offset, 1<<62)), "section "+s.Name, "compressed symbol or string table")
	}
	return e.slice(s.Offset, s.FileSize, "section "+s.Name)
}

// vaddr maps a virtual address to file bytes through the PT_LOAD headers; n is how many bytes
// are wanted at most (the result is cut at the segment's end).
func (e elfReader) vaddr(addr, n uint64, what string) ([]byte, error) {
	for _, p := range e.f.Progs {
		if p.Type != elf.PT_LOAD || addr < p.Vaddr || addr-p.Vaddr >= p.Filesz {
			continue
		}
		rel := addr - p.Vaddr
		n = min(n, p.Filesz-rel)
		return e.slice(p.Off+rel, n, what)
	}
	return nil, e.errorf(-1, what, "address %#x is in no loaded segment", addr)
}

type dynInfo struct {
	needed, rpath, runpath []string
	flags, flags1          uint64
	bindNow, hasSoname     bool
	hasRelaOrRel           bool
	symtab, strtab         []byte
}

// dynamic reads the dynamic section through the program headers, so that files whose section
// headers were removed (sstrip, common in firmware) are analysed as the loader sees them.
func (e elfReader) dynamic(p *elf.Prog) (dynInfo, error) {
	var d dynInfo
	if p == nil {
		return d, nil
	}
	raw, err := e.slice(p.Off, p.Filesz, "PT_DYNAMIC")
	if err != nil {
		return d, err
	}
	entSize := 8
	if e.is64 {
		entSize = 16
	}
	var strAddr, strSize, symAddr, hashAddr, gnuHashAddr, mipsSymNo uint64
	var hasStr, hasSym, hasHash, hasGNUHash, hasMipsSymNo bool
	var neededOff, rpathOff, runpathOff []uint64
	for i := 0; i+entSize <= len(raw) && i/entSize < maxDynEntries; i += entSize {
		var tag, val uint64
		if e.is64 {
			tag, val = e.bo.Uint64(raw[i:]), e.bo.Uint64(raw[i+8:])
		} else {
			tag, val = uint64(e.bo.Uint32(raw[i:])), uint64(e.bo.Uint32(raw[i+4:]))
		}
		switch elf.DynTag(tag) {
		case elf.DT_NULL:
			i = len(raw)
		case elf.DT_NEEDED:
			neededOff = append(neededOff, val)
		case elf.DT_RPATH:
			rpathOff = append(rpathOff, val)
		case elf.DT_RUNPATH:
			runpathOff = append(runpathOff, val)
		case elf.DT_FLAGS:
			d.flags |= val
		case dtFlags1:
			d.flags1 |= val
		case elf.DT_BIND_NOW:
			d.bindNow = true
		case elf.DT_SONAME:
			d.hasSoname = true
		case elf.DT_RELA, elf.DT_REL, elf.DynTag(36): // 36 is DT_RELR
			d.hasRelaOrRel = true
		case elf.DT_STRTAB:
			strAddr, hasStr = val, true
		case elf.DT_STRSZ:
			strSize = val
		case elf.DT_SYMTAB:
			symAddr, hasSym = val, true
		case elf.DT_HASH:
			hashAddr, hasHash = val, true
		case elf.DT_GNU_HASH:
			gnuHashAddr, hasGNUHash = val, true
		case elf.DT_MIPS_SYMTABNO:
			mipsSymNo, hasMipsSymNo = val, true
		}
	}
	if !hasStr {
		return d, nil
	}
	if d.strtab, err = e.vaddr(strAddr, strSize, "DT_STRTAB"); err != nil {
		return d, err
	}
	str := func(off uint64) string { return cString(d.strtab, off) }
	for _, o := range neededOff {
		d.needed = append(d.needed, str(o))
	}
	for _, o := range rpathOff {
		d.rpath = append(d.rpath, str(o))
	}
	for _, o := range runpathOff {
		d.runpath = append(d.runpath, str(o))
	}
	if !hasSym {
		return d, nil
	}
	symSize := uint64(16)
	if e.is64 {
		symSize = 24
	}
	// How many dynamic symbols there are is not stored in the dynamic section itself: take it
	// from the section header, else the hash tables, else MIPS's own tag.
	var count uint64
	var known bool
	if s := e.f.SectionByType(elf.SHT_DYNSYM); s != nil && s.Addr == symAddr {
		count, known = s.Size/symSize, true
	} else if hasHash {
		if b, err := e.vaddr(hashAddr, 8, "DT_HASH"); err == nil && len(b) == 8 {
			count, known = uint64(e.bo.Uint32(b[4:])), true
		}
	} else if hasMipsSymNo {
		count, known = mipsSymNo, true
	} else if hasGNUHash {
		count, known = e.gnuHashCount(gnuHashAddr)
	}
	if !known && strAddr > symAddr {
		// Linkers put .dynstr right after .dynsym.
		count = (strAddr - symAddr) / symSize
	}
	count = min(count, maxDynsyms)
	d.symtab, err = e.vaddr(symAddr, count*symSize, "DT_SYMTAB")
	return d, err
}

// gnuHashCount finds the number of dynamic symbols from a DT_GNU_HASH table: one past the
// last symbol of the longest chain.
func (e elfReader) gnuHashCount(addr uint64) (uint64, bool) {
	hdr, err := e.vaddr(addr, 16, "DT_GNU_HASH")
	if err != nil || len(hdr) < 16 {
		return 0, false
	}
	nbuckets := uint64(e.bo.Uint32(hdr))
	symoff := uint64(e.bo.Uint32(hdr[4:]))
	bloomSize := uint64(e.bo.Uint32(hdr[8:]))
	word := uint64(4)
	if e.is64 {
		word = 8
	}
	if nbuckets > maxDynsyms || bloomSize > maxDynsyms {
		return 0, false
	}
	bucketsAt := addr + 16 + bloomSize*word
	buckets, err := e.vaddr(bucketsAt, nbuckets*4, "DT_GNU_HASH buckets")
	if err != nil || uint64(len(buckets)) < nbuckets*4 {
		return 0, false
	}
	var last uint64
	for i := uint64(0); i < nbuckets; i++ {
		last = max(last, uint64(e.bo.Uint32(buckets[i*4:])))
	}
	if last < symoff {
		return symoff, true
	}
	chainsAt := bucketsAt + nbuckets*4
	for n := 0; n < maxDynsyms; n++ {
		b, err := e.vaddr(chainsAt+(last-symoff)*4, 4, "DT_GNU_HASH chains")
		if err != nil || len(b) < 4 {
			return 0, false
		}
		if e.bo.Uint32(b)&1 != 0 {
			return last + 1, true
		}
		last++
	}
	return 0, false
}

func cString(tab []byte, off uint64) string {
	if off >= uint64(len(tab)) {
		return ""
	}
	s := tab[off:]
	if i := bytes.IndexByte(s, 0); i >= 0 {
		s = s[:i]
	}
	return string(s)
}

// symbolScan collects the names that tell about canaries and fortification, without building
// a Symbol value for every entry: shared libraries have tens of thousands.
type symbolScan struct {
	canary    bool
	fortified map[string]bool
}

var (
	stackChkFail  = []byte("__stack_chk_fail")
	stackChkGuard = []byte("__stack_chk_guard")
	intelCookie   = []byte("__intel_security_cookie")
	chkSuffix     = []byte("_chk")
)

func (s *symbolScan) scan(e elfReader, syms, strs []byte, undefinedOnly bool) {
	size := 16
	if e.is64 {
		size = 24
	}
	for i := 0; i+size <= len(syms); i += size {
		nameOff := uint64(e.bo.Uint32(syms[i:]))
		var shndx uint16
		if e.is64 {
			shndx = e.bo.Uint16(syms[i+6:])
		} else {
			shndx = e.bo.Uint16(syms[i+14:])
		}
		if nameOff == 0 || nameOff >= uint64(len(strs)) {
			continue
		}
		name := strs[nameOff:]
		if j := bytes.IndexByte(name, 0); j >= 0 {
			name = name[:j]
		}
		if len(name) < 6 || name[0] != '_' {
			continue
		}
		if bytes.HasPrefix(name, stackChkFail) || bytes.Equal(name, stackChkGuard) || bytes.Equal(name, intelCookie) {
			s.canary = true
			continue
		}
		// A library that defines __memcpy_chk (libc itself) does not call it.
		if undefinedOnly && shndx != shnUndef {
			continue
		}
		if bytes.HasPrefix(name, []byte("__")) && bytes.HasSuffix(name, chkSuffix) {
			if s.fortified == nil {
				s.fortified = map[string]bool{}
			}
			s.fortified[string(name)] = true
		}
	}
}

// networkDaemons are base names of programs that listen on the network in embedded Linux.
var networkDaemons = map[string]bool{
	"telnetd": true, "in.telnetd": true, "utelnetd": true, "httpd": true, "mini_httpd": true,
	"thttpd": true, "lighttpd": true, "uhttpd": true, "boa": true, "goahead": true, "webs": true,
	"nginx": true, "dropbear": true, "sshd": true, "dnsmasq": true, "miniupnpd": true, "upnpd": true,
	"udhcpd": true, "dhcpd": true, "ftpd": true, "vsftpd": true, "tftpd": true, "smbd": true,
	"nmbd": true, "snmpd": true, "mosquitto": true, "hostapd": true, "pppd": true, "inetd": true,
	"xinetd": true, "rlogind": true, "rshd": true, "rexecd": true, "cwmpd": true, "tr069": true,
	"avahi-daemon": true, "mdnsd": true, "lld2d": true, "ntpd": true, "rtspd": true, "onvif": true,
}

// CheckHardening reports, for each executable and shared object of t, the exploit mitigations
// it was built without. Severity depends on what is missing and on how exposed the binary is:
// setuid and setgid programs and network daemons (by name, or by a daemon's name linking to
// them, as telnetd links to busybox) are where a memory-safety bug turns into a compromise.
func CheckHardening(t *unpack.Tree) []Weakness {
	exposedBy := map[string][]string{}
	for _, e := range t.Entries() {
		base := path.Base(e.Path)
		if !networkDaemons[base] {
			continue
		}
		if target := t.Resolve(e.Path); target != nil && target.Mode.IsRegular() {
			exposedBy[target.Path] = append(exposedBy[target.Path], e.Path)
		}
	}
	var out []Weakness
	for _, e := range t.Entries() {
		if !e.Mode.IsRegular() || len(e.Data) < 4 || string(e.Data[:4]) != elf.ELFMAG {
			continue
		}
		h, err := ELFHardening(e.Path, e.Data)
		if err != nil {
			// Not a finding: a malformed or relocatable ELF file is not an unhardened program.
			continue
		}
		var exposure []string
		if e.Mode&fs.ModeSetuid != 0 {
			exposure = append(exposure, fmt.Sprintf("setuid (owner uid %d)", e.UID))
		}
		if e.Mode&fs.ModeSetgid != 0 {
			exposure = append(exposure, fmt.Sprintf("setgid (group gid %d)", e.GID))
		}
		if names := exposedBy[e.Path]; len(names) > 0 {
			exposure = append(exposure, "a network daemon ("+strings.Join(names, ", ")+")")
		}
		if w, ok := hardeningWeakness(e.Path, h, exposure); ok {
			out = append(out, w)
		}
	}
	return out
}

func hardeningWeakness(p string, h Hardening, exposure []string) (Weakness, bool) {
	exposed := len(exposure) > 0
	mips := h.Arch == "mips" || h.Arch == "mips_rs3_le"
	var missing, notes []string
	// On MIPS an executable stack is often required rather than careless, so it alone never
	// raises the severity there.
	noNX := !h.NX && !mips
	if !h.NX {
		switch {
		case mips:
			missing = append(missing, "non-executable stack (usual on MIPS for kernels before 4.8)")
			notes = append(notes, "On MIPS an executable stack is usual: kernels before Linux 4.8 emulate FPU branch-delay-slot instructions in trampolines written to the user stack, so toolchains and glibc leave it executable; with a 4.8 or later kernel it should be marked non-executable (PT_GNU_STACK without PF_X).")
		case !h.GNUStack:
			missing = append(missing, "non-executable stack (no PT_GNU_STACK: the kernel may map the stack, and on older kernels all readable memory, executable)")
		default:
			missing = append(missing, "non-executable stack (PT_GNU_STACK is RWX)")
		}
	}
	noCanary := false
	if h.MemorySafe == "" && !h.SymbolsUnknown && !h.Canary {
		noCanary = true
		missing = append(missing, "stack canary")
	}
	if h.SymbolsUnknown && h.MemorySafe == "" {
		notes = append(notes, "Stack canary and fortification could not be told: the file is static and has no symbols.")
	}
	noPIE := (h.Kind == "executable") && h.MemorySafe == ""
	if noPIE {
		missing = append(missing, "PIE")
	}
	noRELRO := h.RELRO == RELRONone && !(h.MemorySafe != "" && h.Static)
	switch {
	case h.MemorySafe != "" && h.Static:
		// A static Go program has no GOT or PLT for RELRO to protect.
	case h.RELRO == RELRONone:
		missing = append(missing, "RELRO")
	case h.RELRO == RELROPartial:
		missing = append(missing, "full RELRO (BIND_NOW)")
	}
	var badPath []string
	for _, r := range append(slices.Clone(h.RPATH), h.RUNPATH...) {
		if insecureSearchPath(r) {
			badPath = append(badPath, r)
		}
	}
	if len(badPath) > 0 {
		missing = append(missing, "safe library search path (RPATH/RUNPATH "+strings.Join(badPath, ":")+")")
	}
	if len(missing) == 0 {
		return Weakness{}, false
	}
	if !h.Fortify && h.MemorySafe == "" && !h.SymbolsUnknown {
		missing = append(missing, "FORTIFY_SOURCE")
	}

	sev := "info"
	switch {
	case exposed && (noNX || noCanary && noPIE):
		sev = "high"
	case exposed && (noCanary || noPIE || noRELRO || len(badPath) > 0):
		sev = "medium"
	case noNX || noCanary || len(badPath) > 0:
		sev = "low"
	case exposed || noPIE || noRELRO:
		sev = "low"
	}

	kind := h.Kind
	if h.Static {
		kind = "static " + kind
	}
	msg := fmt.Sprintf("%s %s (%d-bit %s) is built without: %s.", h.Arch, kind, h.Class, h.Endian, strings.Join(missing, ", "))
	if exposed {
		msg += " It is " + strings.Join(exposure, " and ") + ", so a memory-safety bug in it is reachable by an attacker and these mitigations are what stop it from becoming code execution."
	} else {
		msg += " Without these mitigations a memory-safety bug is easier to turn into code execution."
	}
	for _, n := range notes {
		msg += " " + n
	}
	return Weakness{
		Rule:     "hardening",
		ID:       "missing-mitigations",
		Severity: sev,
		Path:     p,
		Message:  msg,
		Evidence: h.String(),
		Requirements: []string{
			"ETSI EN 303 645 5.6-9",
			"CRA Annex I Part I (2)(k)",
		},
	}, true
}

// insecureSearchPath is a library directory that someone other than root may control, or that
// depends on the current directory.
func insecureSearchPath(dir string) bool {
	switch {
	case dir == "":
		return true // an empty element means the current directory
	case strings.HasPrefix(dir, "$ORIGIN"), strings.HasPrefix(dir, "${ORIGIN}"):
		return false
	case !strings.HasPrefix(dir, "/"):
		return true
	}
	for _, bad := range []string{"/tmp", "/var/tmp", "/dev/shm", "/mnt", "/media", "/home"} {
		if dir == bad || strings.HasPrefix(dir, bad+"/") {
			return true
		}
	}
	return false
}

// String is a one-line summary in checksec's terms.
func (h Hardening) String() string {
	yn := func(b bool) string {
		if b {
			return "yes"
		}
		return "no"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "arch=%s class=ELF%d endian=%s kind=%s static=%s nx=%s", h.Arch, h.Class, h.Endian, h.Kind, yn(h.Static), yn(h.NX))
	if !h.GNUStack {
		b.WriteString("(no PT_GNU_STACK)")
	}
	fmt.Fprintf(&b, " pie=%s relro=%s", yn(h.PIE), h.RELRO)
	if h.SymbolsUnknown {
		b.WriteString(" canary=unknown fortify=unknown")
	} else {
		fmt.Fprintf(&b, " canary=%s fortify=%s(%d)", yn(h.Canary), yn(h.Fortify), h.FortifiedCount)
	}
	fmt.Fprintf(&b, " stripped=%s", yn(h.Stripped))
	if len(h.RPATH) > 0 {
		fmt.Fprintf(&b, " rpath=%s", strings.Join(h.RPATH, ":"))
	}
	if len(h.RUNPATH) > 0 {
		fmt.Fprintf(&b, " runpath=%s", strings.Join(h.RUNPATH, ":"))
	}
	if h.MemorySafe != "" {
		fmt.Fprintf(&b, " lang=%s", h.MemorySafe)
	}
	return b.String()
}
