package signatures

import (
	"bufio"
	"bytes"
	_ "embed"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/siegel-oss/siegel/internal/testtool"

	"github.com/google/go-cmp/cmp"
	"github.com/santhosh-tekuri/jsonschema/v6"
)

//go:embed signatures.schema.json
var schemaJSON []byte

func TestEmbeddedCatalogLoads(t *testing.T) {
	c, err := Load(embedded)
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]bool{}
	for _, s := range c.Signatures {
		names[s.Name] = true
	}
	if len(names) < 150 {
		t.Errorf("catalogue names %d distinct components, want at least 150", len(names))
	}
}

func TestSchema(t *testing.T) {
	schemaDoc, err := jsonschema.UnmarshalJSON(bytes.NewReader(schemaJSON))
	if err != nil {
		t.Fatal(err)
	}
	comp := jsonschema.NewCompiler()
	if err := comp.AddResource("signatures.schema.json", schemaDoc); err != nil {
		t.Fatal(err)
	}
	sch, err := comp.Compile("signatures.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(embedded))
	if err != nil {
		t.Fatal(err)
	}
	if err := sch.Validate(doc); err != nil {
		t.Fatalf("signatures.json does not follow signatures.schema.json: %v", err)
	}
}

// TestSamples runs every sample of every signature through the whole catalogue: the sample's
// own signature must report exactly the sample's version, and the sample must not make any
// other signature claim a component with a version taken from the same bytes.
func TestSamples(t *testing.T) {
	c := Default()
	for _, s := range c.Signatures {
		for i, sm := range s.Samples {
			t.Run(fmt.Sprintf("%s/%d", s.ID, i), func(t *testing.T) {
				p := sm.Path
				if p == "" {
					p = "sample.bin"
				}
				// Padding on both sides: a sample must not rely on the start or end of the file.
				data := append(append(bytes.Repeat([]byte{0xff}, 300), sm.Data...), bytes.Repeat([]byte{0xff}, 300)...)
				var got []string
				for _, h := range c.Scan(p, data) {
					if h.Component == s.Name {
						got = append(got, h.Version)
					}
				}
				if diff := cmp.Diff([]string{sm.Version}, got); diff != "" {
					t.Errorf("sample %q: versions of %s (-want +got):\n%s", sm.Data, s.Name, diff)
				}
			})
		}
	}
}

// TestNegatives checks the traps: symbol version tables, format strings, compatibility lists.
func TestNegatives(t *testing.T) {
	c := Default()
	n := 0
	for _, s := range c.Signatures {
		for _, neg := range s.Negatives {
			n++
			for _, path := range append([]string{"x.bin"}, s.Files...) {
				path = strings.ReplaceAll(path, "*", "1")
				for _, h := range c.Scan(path, []byte(neg)) {
					if h.Component == s.Name {
						t.Errorf("%s: negative %q (as %s) reported %s %s from %q", s.ID, neg, path, h.Component, h.Version, h.Match)
					}
				}
			}
		}
	}
	if n < 50 {
		t.Errorf("only %d negative samples; the traps need testing", n)
	}
}

func TestScan(t *testing.T) {
	data := []byte("\x7fELF\x00\x00GLIBC_2.4\x00OPENSSL_1.0.0\x00" +
		"OpenSSL 1.1.1w  11 Sep 2023\x00padding\x00OpenSSL 1.1.1w  11 Sep 2023\x00" +
		"libcurl/8.5.0\x00 deflate 1.2.13 Copyright 1995-2022 Jean-loup Gailly and Mark Adler \x00" +
		"libcurl/8.5.0 OpenSSL/3.0.11 zlib/1.2.13\x00")
	got := Scan("lib/libcurl.so.4", data)
	type row struct{ Component, Version, Confidence, PURL, CPE string }
	var rows []row
	for _, h := range got {
		rows = append(rows, row{h.Component, h.Version, h.Confidence, h.PURL, h.CPE})
		if h.Path != "lib/libcurl.so.4" {
			t.Errorf("path %q", h.Path)
		}
		if !strings.Contains(string(data[h.Offset:]), h.Match[:4]) {
			t.Errorf("%s: offset %d does not point at %q", h.Component, h.Offset, h.Match)
		}
	}
	want := []row{
		{"openssl", "1.1.1w", High, "pkg:generic/openssl@1.1.1w", "cpe:2.3:a:openssl:openssl:1.1.1w:*:*:*:*:*:*:*"},
		{"libcurl", "8.5.0", High, "pkg:generic/libcurl@8.5.0", "cpe:2.3:a:haxx:libcurl:8.5.0:*:*:*:*:*:*:*"},
		{"zlib", "1.2.13", High, "pkg:generic/zlib@1.2.13", "cpe:2.3:a:zlib:zlib:1.2.13:*:*:*:*:*:*:*"},
		{"openssl", "3.0.11", Referenced, "pkg:generic/openssl@3.0.11", "cpe:2.3:a:openssl:openssl:3.0.11:*:*:*:*:*:*:*"},
	}
	if diff := cmp.Diff(want, rows); diff != "" {
		t.Errorf("Scan (-want +got):\n%s", diff)
	}
	if first := got[0]; first.Offset != int64(bytes.Index(data, []byte("OpenSSL 1.1.1w"))) {
		t.Errorf("openssl offset %d, want the first occurrence", first.Offset)
	}
}

func TestScanUpgradesConfidence(t *testing.T) {
	// The referenced form comes first; the library's own banner later raises the confidence
	// without moving the hit.
	data := []byte("zlib/1.2.13\x00\x00 inflate 1.2.13 Copyright 1995-2022 Mark Adler ")
	got := Scan("libz.so.1", data)
	if len(got) != 1 || got[0].Confidence != High || got[0].Offset != 0 {
		t.Fatalf("got %+v", got)
	}
}

func TestRequireFile(t *testing.T) {
	data := []byte("x\x00\x001.9.4\x00Unspecified error code\x00OK_NoError\x00")
	if got := Scan("usr/bin/other", data); len(got) != 0 {
		t.Errorf("file-bound pattern matched outside its files: %+v", got)
	}
	if got := Scan("usr/lib/liblz4.so.1", data); len(got) != 1 || got[0].Component != "lz4" || got[0].Confidence != Low {
		t.Errorf("got %+v", got)
	}
}

func TestLoadErrors(t *testing.T) {
	good := `{"id":"x","name":"x","purl":"pkg:generic/x@{version}","cpe":"cpe:2.3:a:x:x:{version}:*:*:*:*:*:*:*",` +
		`"patterns":[{"anchor":"xver ","regex":"xver (\\d+)"}],"samples":[{"data":"xver 1","version":"1"}]}`
	tests := []struct {
		name, doc, field string
	}{
		{"duplicate id", `{"signatures":[` + good + `,` + good + `]}`, "id"},
		{"bad regex", strings.Replace(`{"signatures":[`+good+`]}`, `xver (\\d+)`, `xver (\\d+`, 1), "patterns[0].regex"},
		{"no group", strings.Replace(`{"signatures":[`+good+`]}`, `xver (\\d+)`, `xver \\d+`, 1), "patterns[0].regex"},
		{"short anchor", strings.Replace(`{"signatures":[`+good+`]}`, `"anchor":"xver "`, `"anchor":"x"`, 1), "patterns[0].anchor"},
		{"no sample", strings.Replace(`{"signatures":[`+good+`]}`, `{"data":"xver 1","version":"1"}`, ``, 1), "samples"},
		{"bad cpe", strings.Replace(`{"signatures":[`+good+`]}`, `cpe:2.3:a:x:x:{version}:*:*:*:*:*:*:*`, `cpe:/a:x:x`, 1), "cpe"},
		{"bad purl", strings.Replace(`{"signatures":[`+good+`]}`, `pkg:generic/x@{version}`, `x`, 1), "purl"},
		{"unknown field", strings.Replace(`{"signatures":[`+good+`]}`, `"name":"x"`, `"name":"x","nmae":1`, 1), "json"},
		{"bad confidence", strings.Replace(`{"signatures":[`+good+`]}`, `"regex"`, `"confidence":"sure","regex"`, 1), "patterns[0].confidence"},
	}
	if _, err := Load([]byte(`{"signatures":[` + good + `]}`)); err != nil {
		t.Fatalf("good document: %v", err)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Load([]byte(tt.doc))
			le, ok := err.(*LoadError)
			if !ok {
				t.Fatalf("err = %v, want *LoadError", err)
			}
			if le.Field != tt.field {
				t.Errorf("field %q, want %q (%v)", le.Field, tt.field, err)
			}
		})
	}
}

func TestAnchorSet(t *testing.T) {
	as := newAnchorSet([][]byte{[]byte("hers"), []byte("she said"), []byte("his "), []byte("hershey")})
	var got []string
	as.find([]byte("ushershey his hers"), func(a, start int) bool {
		got = append(got, fmt.Sprintf("%s@%d", as.anchors[a], start))
		return true
	})
	want := []string{"hers@2", "hershey@2", "his @10", "hers@14"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func FuzzScan(f *testing.F) {
	c := Default()
	for _, s := range c.Signatures {
		for _, sm := range s.Samples {
			f.Add(sm.Data)
		}
	}
	f.Add("OpenSSL 1.1.1w  11 Sep 2023OpenSSL OpenSSL/")
	f.Fuzz(func(t *testing.T, data string) {
		for _, h := range c.Scan("libfuzz.so", []byte(data)) {
			if h.Offset < 0 || h.Offset >= int64(len(data)) || h.Version == "" || confidenceRank[h.Confidence] == 0 {
				t.Fatalf("bad hit %+v", h)
			}
		}
	})
}

// debExpectation names the component a Debian package must yield and how the Debian version
// maps to the upstream version the binaries carry, when the default (strip epoch, Debian
// revision, +dfsg-style suffixes) is not enough.
type debExpectation struct {
	component string
	version   func(upstream string) string
}

var debExpectations = map[string]debExpectation{
	"avahi-daemon":      {component: "avahi"},
	"bash":              {component: "bash"},
	"busybox-static":    {component: "busybox"},
	"chrony":            {component: "chrony"},
	"curl":              {component: "curl"},
	"dnsmasq-base":      {component: "dnsmasq"},
	"dropbear-bin":      {component: "dropbear"},
	"e2fsprogs":         {component: "e2fsprogs"},
	"ethtool":           {component: "ethtool"},
	"hostapd":           {component: "hostapd"},
	"iproute2":          {component: "iproute2"},
	"iptables":          {component: "iptables"},
	"libbz2-1.0":        {component: "bzip2"},
	"libc6":             {component: "glibc"},
	"libcurl4":          {component: "libcurl"},
	"libdbus-1-3":       {component: "dbus"},
	"libevent-2.1-7":    {component: "libevent", version: func(u string) string { return strings.TrimSuffix(u, "-stable") }},
	"libexpat1":         {component: "expat"},
	"libgcrypt20":       {component: "libgcrypt"},
	"libglib2.0-0":      {component: "glib"},
	"libgnutls30":       {component: "gnutls"},
	"libjpeg62-turbo":   {component: "libjpeg-turbo"},
	"libjson-c5":        {component: "json-c"},
	"liblua5.1-0":       {component: "lua"},
	"liblz4-1":          {component: "lz4"},
	"liblzma5":          {component: "xz"},
	"liblzo2-2":         {component: "lzo"},
	"libmbedcrypto7":    {component: "mbedtls"},
	"libmicrohttpd12":   {component: "libmicrohttpd"},
	"libnghttp2-14":     {component: "nghttp2"},
	"libpcap0.8":        {component: "libpcap"},
	"libpcre2-8-0":      {component: "pcre2"},
	"libpcre3":          {component: "pcre"},
	"libpng16-16":       {component: "libpng"},
	"libprotobuf-c1":    {component: "protobuf-c"},
	"libsodium23":       {component: "libsodium"},
	"libsqlite3-0":      {component: "sqlite"},
	"libssh-4":          {component: "libssh"},
	"libssh2-1":         {component: "libssh2"},
	"libssl3":           {component: "openssl"},
	"libtiff6":          {component: "libtiff"},
	"libupnp13":         {component: "pupnp"},
	"libuv1":            {component: "libuv"},
	"libwebsockets17":   {component: "libwebsockets"},
	"libwolfssl35":      {component: "wolfssl"},
	"libxml2":           {component: "libxml2", version: libxml2Number},
	"libzstd1":          {component: "zstd"},
	"lighttpd":          {component: "lighttpd"},
	"lldpd":             {component: "lldpd"},
	"mosquitto":         {component: "mosquitto"},
	"openssh-client":    {component: "openssh"},
	"openssh-server":    {component: "openssh"},
	"openvpn":           {component: "openvpn"},
	"ppp":               {component: "ppp"},
	"rsync":             {component: "rsync"},
	"strongswan-charon": {component: "strongswan"},
	"sudo":              {component: "sudo"},
	"tcpdump":           {component: "tcpdump"},
	"tftpd-hpa":         {component: "tftp-hpa"},
	"vsftpd":            {component: "vsftpd"},
	"wpasupplicant":     {component: "wpa_supplicant"},
	"zlib1g":            {component: "zlib"},
}

// libxml2Number turns 2.9.14 into LIBXML_VERSION_STRING's "20914".
func libxml2Number(u string) string {
	var a, b, c int
	if _, err := fmt.Sscanf(u, "%d.%d.%d", &a, &b, &c); err != nil {
		return u
	}
	return fmt.Sprintf("%d%02d%02d", a, b, c)
}

var debRevision = regexp.MustCompile(`^(?:\d+:)?(.*?)(?:-[^-]*)?$`)

// upstreamVersion strips the epoch, the Debian revision and repack suffixes:
// 1:1.36.1-9 -> 1.36.1, 3.0.11-1~deb12u2 -> 3.0.11, 1:1.2.13.dfsg-1 -> 1.2.13.
func upstreamVersion(debVersion string) string {
	u := debRevision.FindStringSubmatch(debVersion)[1]
	if i := strings.IndexAny(u, "+~"); i > 0 {
		u = u[:i]
	}
	return strings.TrimSuffix(u, ".dfsg")
}

func TestUpstreamVersion(t *testing.T) {
	for in, want := range map[string]string{
		"1:1.36.1-9": "1.36.1", "3.0.11-1~deb12u2": "3.0.11", "2022.83-1+deb12u3": "2022.83", "1:1.2.13.dfsg-1": "1.2.13",
		"2.1.12-stable-8": "2.1.12-stable", "2.9.14+dfsg-1.3~deb12u6": "2.9.14", "1:9.2p1-2+deb12u10": "9.2p1", "5.4.1": "5.4.1",
	} {
		if got := upstreamVersion(in); got != want {
			t.Errorf("upstreamVersion(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestDebianBinaries scans real mipsel binaries from Debian 12 packages, unpacked by
// tools/firmware-fixtures/fetch-debs.sh into $SIEGEL_TEST_FIRMWARE_DEBS: each package must
// yield its component at the package's upstream version, and no other version of it.
func TestDebianBinaries(t *testing.T) {
	dir := os.Getenv("SIEGEL_TEST_FIRMWARE_DEBS")
	if dir == "" {
		if testtool.Required() {
			t.Fatal("SIEGEL_TEST_FIRMWARE_DEBS is not set (run tools/firmware-fixtures/fetch-debs.sh DIR)")
		}
		t.Skip("SIEGEL_TEST_FIRMWARE_DEBS is not set (run tools/firmware-fixtures/fetch-debs.sh DIR)")
	}
	versions := readVersions(t, filepath.Join(dir, "versions.tsv"))
	var report []string
	for _, pkg := range sortedKeys(versions) {
		hits := scanTree(t, filepath.Join(dir, pkg))
		found := map[string][]string{} // component -> sorted "version (confidence, file)"
		for _, h := range hits {
			found[h.Component] = append(found[h.Component], fmt.Sprintf("%s (%s, %s)", h.Version, h.Confidence, filepath.Base(h.Path)))
		}
		exp, ok := debExpectations[pkg]
		if !ok {
			report = append(report, fmt.Sprintf("  %-18s %-24s (no expectation) %s", pkg, versions[pkg], summary(found)))
			continue
		}
		want := upstreamVersion(versions[pkg])
		if exp.version != nil {
			want = exp.version(want)
		}
		seen := map[string]bool{}
		for _, h := range hits {
			if h.Component != exp.component || h.Confidence == Referenced {
				continue
			}
			seen[h.Version] = true
			if h.Version != want {
				t.Errorf("%s: %s reported as %s in %s (%q), want only %s", pkg, exp.component, h.Version, h.Path, h.Match, want)
			}
		}
		if !seen[want] {
			t.Errorf("%s: %s %s not found; found %s", pkg, exp.component, want, summary(found))
		}
		report = append(report, fmt.Sprintf("  %-18s %-24s %s", pkg, versions[pkg], summary(found)))
	}
	t.Logf("components found in Debian 12 mipsel packages:\n%s", strings.Join(report, "\n"))
}

func summary(found map[string][]string) string {
	var parts []string
	for _, c := range sortedKeys(found) {
		vs := found[c]
		sort.Strings(vs)
		vs = compactStrings(vs)
		if len(vs) > 3 {
			vs = append(vs[:3], "...")
		}
		parts = append(parts, c+" "+strings.Join(vs, ", "))
	}
	return strings.Join(parts, "; ")
}

func compactStrings(s []string) []string {
	var out []string
	for i, v := range s {
		if i == 0 || v != s[i-1] {
			out = append(out, v)
		}
	}
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func readVersions(t *testing.T, path string) map[string]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	out := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		pkg, ver, ok := strings.Cut(sc.Text(), "\t")
		if ok {
			out[pkg] = ver
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if len(out) == 0 {
		t.Fatalf("%s lists no packages", path)
	}
	return out
}

func scanTree(t *testing.T, root string) []Hit {
	t.Helper()
	var hits []Hit
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		hits = append(hits, Scan(rel, data)...)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return hits
}

// BenchmarkScan scans about 16 MB of this machine's executables, as an image's files would be.
func BenchmarkScan(b *testing.B) {
	var files [][]byte
	var total int64
	for _, dir := range []string{"/usr/bin", "/usr/sbin", "/usr/lib/x86_64-linux-gnu"} {
		entries, _ := os.ReadDir(dir)
		for _, e := range entries {
			if total >= 16<<20 {
				break
			}
			info, err := e.Info()
			if err != nil || !info.Mode().IsRegular() || info.Size() > 4<<20 {
				continue
			}
			data, err := os.ReadFile(filepath.Join(dir, e.Name()))
			if err != nil {
				continue
			}
			files = append(files, data)
			total += int64(len(data))
		}
	}
	if total == 0 {
		b.Skip("no binaries to scan")
	}
	Default()
	b.SetBytes(total)
	b.ResetTimer()
	hits := 0
	for b.Loop() {
		hits = 0
		for _, f := range files {
			hits += len(Scan("bench", f))
		}
	}
	b.ReportMetric(float64(len(files)), "files")
	b.ReportMetric(float64(hits), "hits")
}

func TestHeaderQuoteIsReferenced(t *testing.T) {
	// hostapd built against OpenSSL 3.0.16 headers keeps OPENSSL_VERSION_TEXT, and links
	// libcrypto dynamically: the banner is a quote, not OpenSSL itself.
	data := []byte("libcrypto.so.3\x00\x00certificate chain\x00\x00\x00OpenSSL 3.0.16 11 Feb 2025\x00\x00OpenSSL build=%s\x00")
	for _, tt := range []struct{ path, want string }{
		{"usr/sbin/hostapd", Referenced},
		{"usr/lib/libcrypto.so.3", High},
	} {
		got := Scan(tt.path, data)
		if len(got) != 1 || got[0].Component != "openssl" || got[0].Confidence != tt.want {
			t.Errorf("%s: got %+v, want one openssl hit, %s", tt.path, got, tt.want)
		}
	}
	// Statically linked: no soname, so the banner is the library's own.
	if got := Scan("usr/sbin/hostapd", data[len("libcrypto.so.3"):]); len(got) != 1 || got[0].Confidence != High {
		t.Errorf("static: got %+v", got)
	}
}
