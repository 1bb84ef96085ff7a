// Package fwtest builds small firmware images for tests, without external tools.
package fwtest

import (
	"bytes"
	"fmt"
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
