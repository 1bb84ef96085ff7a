package unpack

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"testing"
)

func mkfsUBIFS(t testing.TB, src string, args ...string) []byte {
	t.Helper()
	out := filepath.Join(t.TempDir(), "ubifs.img")
	runQuiet(t, "mkfs.ubifs", append([]string{"-r", src, "-o", out}, args...)...)
	img, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

// ubinize wraps a UBIFS image and a raw kernel blob in a UBI image with PEBs of peb bytes.
func ubinize(t testing.TB, ubifs, kernel []byte, peb, minIO string) []byte {
	t.Helper()
	dir := t.TempDir()
	for name, data := range map[string][]byte{"ubifs.img": ubifs, "kernel.bin": kernel} {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cfg := "[rootfs]\nmode=ubi\nimage=" + filepath.Join(dir, "ubifs.img") + "\nvol_id=0\nvol_type=dynamic\nvol_name=rootfs\nvol_flags=autoresize\n" +
		"[kernel]\nmode=ubi\nimage=" + filepath.Join(dir, "kernel.bin") + "\nvol_id=1\nvol_type=static\nvol_name=kernel\n" +
		"[empty]\nmode=ubi\nvol_id=3\nvol_type=dynamic\nvol_name=data\nvol_size=200KiB\n"
	if err := os.WriteFile(filepath.Join(dir, "ubi.cfg"), []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "ubi.img")
	runQuiet(t, "ubinize", "-o", out, "-m", minIO, "-p", peb, filepath.Join(dir, "ubi.cfg"))
	img, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

// ubifsComprUsed counts the data nodes of img by compression.
func ubifsComprUsed(img []byte) map[uint16]int {
	used := map[uint16]int{}
	for pos := 0; pos+ubifsChLen <= len(img); pos += 8 {
		n, err := ubifsCheckNode(img, pos, len(img))
		if err == nil && n[20] == ubifsDataNode && len(n) >= 48 {
			used[binary.LittleEndian.Uint16(n[44:])]++
		}
	}
	return used
}

func gunzipFixture(t testing.TB, name string) []byte {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	data, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func TestUBIFSRoundTrip(t *testing.T) {
	flashNeedTools(t, "mkfs.ubifs")
	src := flashSourceTree(t)
	for _, tc := range []struct {
		compr string
		id    uint16
	}{{"none", ubifsComprNone}, {"lzo", ubifsComprLZO}, {"zlib", ubifsComprZlib}, {"zstd", ubifsComprZstd}} {
		t.Run(tc.compr, func(t *testing.T) {
			img := mkfsUBIFS(t, src, "-m", "2048", "-e", "126976", "-c", "200", "-x", tc.compr)
			if used := ubifsComprUsed(img); used[tc.id] == 0 {
				t.Fatalf("fixture uses compressions %v, not %d", used, tc.id)
			}
			tr, n, err := unpackUBIFS(img, NewBudget(t.Context(), 0, 0, 0))
			if err != nil {
				t.Fatal(err)
			}
			if n != int64(len(img)) {
				t.Errorf("occupies %d bytes, want %d", n, len(img))
			}
			flashCheckTree(t, src, tr)
		})
	}
}

func TestUBIRoundTrip(t *testing.T) {
	flashNeedTools(t, "mkfs.ubifs", "ubinize")
	src := flashSourceTree(t)
	kernel := bytes.Repeat([]byte("kernel image "), 30_000) // 390,000 bytes: several LEBs
	for _, tc := range []struct {
		peb, minIO, fsMinIO, leb string
	}{
		{"128KiB", "2048", "2048", "126976"}, // NAND: headers in two pages
		{"64KiB", "1", "8", "65408"},         // NOR: headers 64 bytes apart
	} {
		t.Run(tc.peb, func(t *testing.T) {
			fsImg := mkfsUBIFS(t, src, "-m", tc.fsMinIO, "-e", tc.leb, "-c", "200")
			img := ubinize(t, fsImg, kernel, tc.peb, tc.minIO)
			data := append(append([]byte{}, img...), bytes.Repeat([]byte("trailing"), 10_000)...)
			tr, n, err := unpackUBI(data, NewBudget(t.Context(), 0, 0, 0))
			if err != nil {
				t.Fatal(err)
			}
			if n != int64(len(img)) {
				t.Errorf("occupies %d bytes, want %d", n, len(img))
			}
			if tr.Len() != 3 {
				t.Errorf("volumes %v, want rootfs, kernel, data", tr.sortedPaths())
			}
			if k := tr.Entry("kernel"); k == nil || !bytes.Equal(k.Data, kernel) {
				t.Errorf("static volume kernel differs")
			}
			if d := tr.Entry("data"); d == nil || len(d.Data) != 0 {
				t.Errorf("empty volume data = %v", d)
			}
			root := tr.Entry("rootfs")
			if root == nil || !root.Mode.IsRegular() || !bytes.HasPrefix(root.Data, bytes.TrimRight(fsImg, "\xff")) {
				t.Fatalf("volume rootfs does not hold the UBIFS image")
			}
			fs, _, err := unpackUBIFS(root.Data, nil)
			if err != nil {
				t.Fatal(err)
			}
			flashCheckTree(t, src, fs)
		})
	}
}

// ubiPEBOf returns the PEB index holding LEB lnum of volume vol.
func ubiPEBOf(t *testing.T, img []byte, peb int, vol, lnum uint32) int {
	t.Helper()
	for i := 0; (i+1)*peb <= len(img); i++ {
		blk := img[i*peb:]
		vo := binary.BigEndian.Uint32(blk[16:])
		vid := blk[vo:]
		if string(vid[:4]) == "UBI!" && binary.BigEndian.Uint32(vid[8:]) == vol && binary.BigEndian.Uint32(vid[12:]) == lnum {
			return i
		}
	}
	t.Fatalf("no PEB holds LEB %d of volume %d", lnum, vol)
	return 0
}

func TestUBIDuplicateLEBs(t *testing.T) {
	flashNeedTools(t, "mkfs.ubifs", "ubinize")
	src := flashSourceTree(t)
	kernel := bytes.Repeat([]byte("K"), 1000)
	img := ubinize(t, mkfsUBIFS(t, src, "-m", "2048", "-e", "126976", "-c", "200"), kernel, "128KiB", "2048")
	const peb = 128 << 10
	orig := ubiPEBOf(t, img, peb, 1, 0)
	vo := int(binary.BigEndian.Uint32(img[16:]))
	do := int(binary.BigEndian.Uint32(img[20:]))

	// Append two more copies of the kernel's LEB 0, as wear levelling leaves them: a newer
	// complete copy, and a yet newer copy whose move was cut short (copy flag, bad data CRC).
	copyPEB := func(content string, sqnum uint64, goodCRC bool) []byte {
		blk := append([]byte{}, img[orig*peb:(orig+1)*peb]...)
		copy(blk[do:], content)
		vid := blk[vo:]
		vid[6] = 1 // copy_flag
		binary.BigEndian.PutUint32(vid[20:], uint32(len(content)))
		crc := ubiCRC([]byte(content))
		if !goodCRC {
			crc++
		}
		binary.BigEndian.PutUint32(vid[32:], crc)
		binary.BigEndian.PutUint64(vid[40:], sqnum)
		binary.BigEndian.PutUint32(vid[60:], ubiCRC(vid[:60]))
		return blk
	}
	data := append(append([]byte{}, img...), copyPEB("newer kernel", 1<<40, true)...)
	data = append(data, copyPEB("broken copy!", 1<<41, false)...)
	tr, n, err := unpackUBI(data, nil)
	if err != nil {
		t.Fatal(err)
	}
	if n != int64(len(data)) {
		t.Errorf("occupies %d bytes, want %d", n, len(data))
	}
	if k := tr.Entry("kernel"); k == nil || string(k.Data) != "newer kernel" {
		t.Errorf("kernel = %q, want the newest complete copy", k.Data)
	}
}

func TestUBIErrors(t *testing.T) {
	img := gunzipFixture(t, "ubi-small.img.gz")
	const peb = 16 << 10
	t.Run("fixture", func(t *testing.T) {
		tr, n, err := unpackUBI(img, nil)
		if err != nil {
			t.Fatal(err)
		}
		if n != int64(len(img)) || tr.Entry("rootfs") == nil {
			t.Fatalf("occupies %d of %d bytes, volumes %v", n, len(img), tr.sortedPaths())
		}
		fs, _, err := unpackUBIFS(tr.Entry("rootfs").Data, nil)
		if err != nil {
			t.Fatal(err)
		}
		if e := fs.Entry("bin/pw"); e == nil || e.Link != "../etc/passwd" {
			t.Errorf("bin/pw = %+v", e)
		}
	})
	cases := []struct {
		name string
		mod  func([]byte) []byte
		want error // nil: a *FormatError
	}{
		{"empty", func([]byte) []byte { return nil }, nil},
		{"bad EC CRC", func(d []byte) []byte { d[8]++; return d }, nil},
		{"one PEB", func(d []byte) []byte { return d[:peb] }, nil},
		{"no volume table", func(d []byte) []byte {
			for i := 0; i < 2; i++ {
				p := ubiPEBOf(t, d, peb, ubiLayoutVolume, uint32(i))
				d[p*peb+int(binary.BigEndian.Uint32(d[p*peb+20:]))+168]++
			}
			return d
		}, nil},
		{"bad VID header offset", func(d []byte) []byte {
			binary.BigEndian.PutUint32(d[16:], 3)
			binary.BigEndian.PutUint32(d[60:], ubiCRC(d[:60]))
			return d
		}, nil},
		{"budget", func(d []byte) []byte { return d }, ErrLimit},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			data := tc.mod(append([]byte{}, img...))
			_, _, err := unpackUBI(data, NewBudget(t.Context(), 1000, 0, 0))
			var fe *FormatError
			if tc.want != nil && !errors.Is(err, tc.want) || tc.want == nil && !errors.As(err, &fe) {
				t.Errorf("error %v, want %v", err, tc.want)
			}
		})
	}
	t.Run("damaged PEB", func(t *testing.T) {
		// A PEB whose headers fail their CRC is skipped; the PEB size is still found.
		data := append([]byte{}, img...)
		data[peb+8]++
		tr, n, err := unpackUBI(data, nil)
		if err != nil {
			t.Fatal(err)
		}
		if n != int64(len(img)) || tr.Entry("rootfs") == nil {
			t.Errorf("occupies %d bytes, volumes %v", n, tr.sortedPaths())
		}
	})
	t.Run("truncated", func(t *testing.T) {
		// Losing the last PEBs loses the LEBs they held: those read as erased flash.
		tr, n, err := unpackUBI(img[:len(img)-peb-100], nil)
		if err != nil {
			t.Fatal(err)
		}
		if n != int64(len(img)-peb-100) || tr.Entry("rootfs") == nil {
			t.Errorf("occupies %d bytes, volumes %v", n, tr.sortedPaths())
		}
	})
}

func TestUBIFSErrors(t *testing.T) {
	img := gunzipFixture(t, "ubifs-small.img.gz")
	leb := int(binary.LittleEndian.Uint32(img[36:]))
	full, _, err := unpackUBIFS(img, nil)
	if err != nil {
		t.Fatal(err)
	}
	mst, _ := (&ubifs{data: img, leb: leb}).master()
	rootOff := int(binary.LittleEndian.Uint32(mst[48:]))*leb + int(binary.LittleEndian.Uint32(mst[52:]))
	recrc := func(d []byte, off int) {
		n := int(binary.LittleEndian.Uint32(d[off+16:]))
		binary.LittleEndian.PutUint32(d[off+4:], ubiCRC(d[off+8:off+n]))
	}
	cases := []struct {
		name string
		mod  func([]byte) []byte
		want error // nil: a *FormatError
	}{
		{"empty", func([]byte) []byte { return nil }, nil},
		{"bad superblock CRC", func(d []byte) []byte { d[40]++; return d }, nil},
		{"bad key format", func(d []byte) []byte { d[27] = 1; recrc(d, 0); return d }, nil},
		{"bad LEB size", func(d []byte) []byte { binary.LittleEndian.PutUint32(d[36:], 100); recrc(d, 0); return d }, nil},
		{"no master", func(d []byte) []byte { return d[:leb+100] }, nil},
		{"truncated before the index", func(d []byte) []byte { return d[:rootOff] }, nil},
		{"bad root CRC", func(d []byte) []byte { d[rootOff+30]++; return d }, nil},
		{"index loop", func(d []byte) []byte {
			// Make the root an index of level 1 whose first branch points at itself.
			binary.LittleEndian.PutUint16(d[rootOff+26:], 1)
			copy(d[rootOff+28:], mst[48:60])
			recrc(d, rootOff)
			return d
		}, nil},
		{"budget", func(d []byte) []byte { return d }, ErrLimit},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			data := tc.mod(append([]byte{}, img...))
			_, _, err := unpackUBIFS(data, NewBudget(t.Context(), 1000, 0, 0))
			var fe *FormatError
			if tc.want != nil && !errors.Is(err, tc.want) || tc.want == nil && !errors.As(err, &fe) {
				t.Errorf("error %v, want %v", err, tc.want)
			}
			if tc.name == "index loop" && (fe == nil || fe.Rule != "index loop") {
				t.Errorf("error %v, want an index loop", err)
			}
		})
	}
	t.Run("bad data CRC", func(t *testing.T) {
		// A data node that fails its CRC is skipped: its block reads as zeros, all else stays.
		data := append([]byte{}, img...)
		for pos := 0; pos+ubifsChLen <= len(data); pos += 8 {
			if n, err := ubifsCheckNode(data, pos, len(data)); err == nil && n[20] == ubifsDataNode {
				data[pos+len(n)-1]++
				break
			}
		}
		tr, _, err := unpackUBIFS(data, nil)
		if err != nil {
			t.Fatal(err)
		}
		if tr.Len() != full.Len() || flashDigest(tr) == flashDigest(full) {
			t.Errorf("entries %v, want those of %v with one block lost", tr.sortedPaths(), full.sortedPaths())
		}
	})
}

func FuzzUBI(f *testing.F) {
	f.Add(gunzipFixture(f, "ubi-small.img.gz"))
	f.Fuzz(func(t *testing.T, data []byte) {
		tr, n, err := unpackUBI(data, NewBudget(t.Context(), 4<<20, 1000, 0))
		if err != nil {
			return
		}
		if n < 0 || n > int64(len(data)) || tr == nil {
			t.Fatalf("occupies %d of %d bytes", n, len(data))
		}
	})
}

func FuzzUBIFS(f *testing.F) {
	f.Add(gunzipFixture(f, "ubifs-small.img.gz"))
	f.Fuzz(func(t *testing.T, data []byte) {
		tr, n, err := unpackUBIFS(data, NewBudget(t.Context(), 1<<20, 1000, 0))
		if err != nil {
			return
		}
		if n < 0 || n > int64(len(data)) || tr == nil {
			t.Fatalf("occupies %d of %d bytes", n, len(data))
		}
	})
}

func benchSource(b *testing.B) string {
	src := flashSourceTree(b)
	for i := range 40 {
		data := bytes.Repeat([]byte{byte(i)}, 64<<10)
		copy(data, strconv.Itoa(i))
		if err := os.WriteFile(filepath.Join(src, "usr", "file"+strconv.Itoa(i)), data, 0o644); err != nil {
			b.Fatal(err)
		}
	}
	return src
}

func BenchmarkUBIFS(b *testing.B) {
	flashNeedTools(b, "mkfs.ubifs")
	img := mkfsUBIFS(b, benchSource(b), "-m", "2048", "-e", "126976", "-c", "200")
	b.SetBytes(int64(len(img)))
	for b.Loop() {
		if _, _, err := unpackUBIFS(img, nil); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkUBI(b *testing.B) {
	flashNeedTools(b, "mkfs.ubifs", "ubinize")
	img := ubinize(b, mkfsUBIFS(b, benchSource(b), "-m", "2048", "-e", "126976", "-c", "200"), []byte("kernel"), "128KiB", "2048")
	b.SetBytes(int64(len(img)))
	for b.Loop() {
		if _, _, err := unpackUBI(img, nil); err != nil {
			b.Fatal(err)
		}
	}
}

// TestUBIImage checks that the driver goes from the UBI container into the UBIFS volume.
func TestUBIImage(t *testing.T) {
	img := gunzipFixture(t, "ubi-small.img.gz")
	res, err := Image("flash.bin", img, NewBudget(t.Context(), 0, 0, 0))
	if err != nil {
		t.Fatal(err)
	}
	var formats []string
	for _, l := range res.Layers {
		formats = append(formats, l.Format+"@"+l.Path)
	}
	if len(res.Layers) != 2 || res.Layers[0].Format != "ubi" || res.Layers[1].Format != "ubifs" {
		t.Fatalf("layers %v, problems %v", formats, res.Problems)
	}
	p := res.Layers[1].Path + "/etc/passwd"
	if e := res.Tree.Entry(p); e == nil || string(e.Data) != "root:x:0:0::/root:/bin/sh\n" || e.Mode != fs.ModeSetuid|0o755 {
		t.Errorf("%s = %+v", p, e)
	}
}

// ubifsStamp gives node n (a whole node, common header first) a sequence number and its CRC.
func ubifsStamp(n []byte, sqnum uint64) []byte {
	binary.LittleEndian.PutUint32(n, ubifsMagic)
	binary.LittleEndian.PutUint64(n[8:], sqnum)
	binary.LittleEndian.PutUint32(n[16:], uint32(len(n)))
	binary.LittleEndian.PutUint32(n[4:], ubiCRC(n[8:]))
	return n
}

// TestUBIFSJournal writes into the fixture what the kernel writes between commits: a reference
// in the log to a bud LEB, and in that bud newer nodes.
func TestUBIFSJournal(t *testing.T) {
	img := gunzipFixture(t, "ubifs-small.img.gz")
	le := binary.LittleEndian
	leb := int(le.Uint32(img[36:]))
	full, _, err := unpackUBIFS(img, nil)
	if err != nil {
		t.Fatal(err)
	}
	license := full.Entry("etc/license").Data

	// Find the nodes to build on, and the highest sequence number.
	var sqnum uint64
	dents, inodes := map[string][]byte{}, map[uint32][]byte{}
	for pos := 0; pos+ubifsChLen <= len(img); pos += 8 {
		n, err := ubifsCheckNode(img, pos, len(img))
		if err != nil {
			continue
		}
		sqnum = max(sqnum, le.Uint64(n[8:]))
		switch n[20] {
		case ubifsDentNode:
			dents[string(n[56:len(n)-1])] = n
		case ubifsInoNode:
			inodes[le.Uint32(n[24:])] = n
		}
	}
	inoOf := func(name string) uint32 { return uint32(le.Uint64(dents[name][40:])) }
	etc := le.Uint32(dents["passwd"][24:])
	next := func() uint64 { sqnum++; return sqnum }
	inode := func(inum uint32, size uint64, nlink uint32, mode uint32) []byte {
		n := append([]byte{}, inodes[inoOf("passwd")][:160]...)
		le.PutUint32(n[24:], inum)
		le.PutUint64(n[48:], size)
		le.PutUint32(n[92:], nlink)
		le.PutUint32(n[104:], mode)
		le.PutUint32(n[112:], 0)
		return ubifsStamp(n, next())
	}
	data := func(inum, block uint32, content string) []byte {
		n := make([]byte, 48, 48+len(content))
		le.PutUint32(n[24:], inum)
		le.PutUint32(n[28:], ubifsDataNode<<29|block)
		le.PutUint32(n[40:], uint32(len(content)))
		n[20] = ubifsDataNode
		return ubifsStamp(append(n, content...), next())
	}
	dent := func(parent uint32, name string, inum uint64) []byte {
		n := append([]byte{}, dents["passwd"][:56]...)
		le.PutUint32(n[24:], parent)
		le.PutUint32(n[28:], ubifsDentNode<<29|uint32(len(name))) // a new name: any hash will do
		if old, ok := dents[name]; ok {
			copy(n[28:32], old[28:32]) // the same name hashes the same
		}
		le.PutUint64(n[40:], inum)
		le.PutUint16(n[50:], uint16(len(name)))
		return ubifsStamp(append(append(n, name...), 0), next())
	}
	trun := func(inum uint32, newSize uint64) []byte {
		n := make([]byte, 56)
		n[20] = ubifsTrunNode
		le.PutUint32(n[24:], inum)
		le.PutUint64(n[48:], newSize)
		return ubifsStamp(n, next())
	}

	const bud = 11 // an erased LEB of the main area
	if !ubiErased(img[bud*leb : (bud+1)*leb]) {
		t.Fatal("LEB 11 of the fixture is in use")
	}
	var journal []byte
	for _, n := range [][]byte{
		inode(inoOf("passwd"), 9, 1, 0o100600), data(inoOf("passwd"), 0, "changed!\n"),
		inode(100, 3, 1, 0o100640), data(100, 0, "new"), dent(etc, "new", 100),
		dent(le.Uint32(dents["pw"][24:]), "pw", 0),
		inode(inoOf("license"), 100, 1, 0o100644), trun(inoOf("license"), 100),
	} {
		journal = append(journal, n...)
		for len(journal)%8 != 0 {
			journal = append(journal, 0xff)
		}
	}
	copy(img[bud*leb:], journal)
	ref := make([]byte, 64)
	ref[20] = ubifsRefNode
	le.PutUint32(ref[24:], bud)
	cs := img[ubifsLogLnum*leb:]
	if cs[20] != ubifsCSNode {
		t.Fatal("the fixture's log does not start with a commit-start node")
	}
	copy(img[ubifsLogLnum*leb+int(le.Uint32(cs[16:]))+7&^7:], ubifsStamp(ref, le.Uint64(cs[8:])+1))

	tr, _, err := unpackUBIFS(img, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		path, data string
		mode       fs.FileMode
	}{
		{"etc/passwd", "changed!\n", 0o600},
		{"etc/new", "new", 0o640},
		{"etc/license", string(license[:100]), 0o644},
	} {
		if e := tr.Entry(c.path); e == nil || string(e.Data) != c.data || e.Mode != c.mode {
			t.Errorf("%s = %+v, want %q mode %v", c.path, e, c.data, c.mode)
		}
	}
	if e := tr.Entry("bin/pw"); e != nil {
		t.Errorf("deleted bin/pw present: %+v", e)
	}
}
