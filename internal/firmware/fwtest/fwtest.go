// Package fwtest builds small firmware images for tests, without external tools.
package fwtest

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// CPIO returns a newc cpio archive (an initramfs, as many small routers boot from) holding the
// files, with their parent directories. Files whose name ends in "shadow" get mode 0600, the
// rest 0644, unless modes names another (full st_mode, such as 0o104755 for a setuid binary).
func CPIO(files map[string]string, modes map[string]int) []byte {
	var b bytes.Buffer
	ino := 0
	entry := func(name string, mode int, data string) {
		ino++
		fmt.Fprintf(&b, "070701%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X", ino, mode, 0, 0, 1, 0, len(data), 0, 0, 0, 0, len(name)+1, 0)
		b.WriteString(name + "\x00")
		for b.Len()%4 != 0 {
			b.WriteByte(0)
		}
		b.WriteString(data)
		for b.Len()%4 != 0 {
			b.WriteByte(0)
		}
	}
	names := make([]string, 0, len(files))
	dirs := map[string]bool{}
	for n := range files {
		names = append(names, n)
		for d := n; strings.Contains(d, "/"); {
			d = d[:strings.LastIndex(d, "/")]
			dirs[d] = true
		}
	}
	var ds []string
	for d := range dirs {
		ds = append(ds, d)
	}
	slices.Sort(ds)
	for _, d := range ds {
		entry(d, 0o40755, "")
	}
	slices.Sort(names)
	for _, n := range names {
		mode, ok := modes[n]
		switch {
		case ok:
		case strings.HasSuffix(n, "shadow"):
			mode = 0o100600
		default:
			mode = 0o100644
		}
		entry(n, mode, files[n])
	}
	entry("TRAILER!!!", 0, "")
	return b.Bytes()
}

// WriteBenchTree writes the tree squashfs unpacking is measured on (BenchmarkSquashfs,
// bench/firmware/unsquashfs-compare.sh) under dir: 3,000 files of 2 to 24 KB in 280 directories,
// 30% random bytes (like compressed or stripped binaries), 70% text, the same on every run. It
// returns the bytes written.
func WriteBenchTree(dir string) (int64, error) {
	rng := rand.New(rand.NewPCG(7, 8))
	words := strings.Fields("the of and to in is for on that by this with you it not or be are from at as " +
		"config option interface network wan lan dhcp firewall busybox libc kernel module init rc " +
		"0x00 0xff 127.0.0.1 /usr/lib /etc/init.d eth0 wlan0 uci set get commit reload restart")
	var total int64
	for i := range 3000 {
		p := filepath.Join(dir, fmt.Sprintf("d%02d/s%d/file-%04d", i%40, i%7, i))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return 0, err
		}
		n := 2048 + rng.IntN(22<<10)
		var b bytes.Buffer
		if i%10 < 3 {
			for b.Len() < n {
				b.WriteByte(byte(rng.Uint32()))
			}
		} else {
			for b.Len() < n {
				b.WriteString(words[rng.IntN(len(words))])
				b.WriteByte(" \n"[rng.IntN(12)/11])
			}
		}
		if err := os.WriteFile(p, b.Bytes()[:n], 0o644); err != nil {
			return 0, err
		}
		total += int64(n)
	}
	return total, nil
}
