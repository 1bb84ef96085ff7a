package firmware

import (
	"bytes"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strings"

	"github.com/siegel-oss/siegel/internal/firmware/unpack"
)

// Requirement sets of the permission findings.
var (
	permReqPrivilege = []string{"ETSI EN 303 645 5.6-7", "CRA Annex I Part I (2)(d)", "CRA Annex I Part I (2)(j)"}
	permReqSecrets   = []string{"ETSI EN 303 645 5.4-1", "CRA Annex I Part I (2)(d)", "CRA Annex I Part I (2)(e)"}
	permReqIntegrity = []string{"ETSI EN 303 645 5.6-7", "CRA Annex I Part I (2)(d)", "CRA Annex I Part I (2)(f)"}
)

// harmlessDevices may be writable by everyone: every Linux system has them so.
var harmlessDevices = map[string]bool{
	"null": true, "zero": true, "full": true, "random": true, "urandom": true, "tty": true, "ptmx": true,
}

// CheckPermissions reports unsafe file modes: world-writable files and directories (sticky
// directories such as /tmp excepted), setuid and setgid programs, programs with file
// capabilities, password and shadow files
// that others can read or write, private keys readable by everyone, and device nodes that give
// everyone raw access to memory or storage. Symbolic links carry no permissions and are skipped.
func CheckPermissions(t *unpack.Tree) []Weakness {
	var out []Weakness
	add := func(e *unpack.Entry, id, sev, msg string, req []string) {
		out = append(out, Weakness{
			Rule: "permissions", ID: id, Severity: sev, Path: e.Path, Message: msg,
			Evidence:     fmt.Sprintf("mode %s uid %d gid %d", modeString(e.Mode), e.UID, e.GID),
			Requirements: slices.Clone(req),
		})
	}
	for _, e := range t.Entries() {
		m := e.Mode
		perm := m.Perm()
		switch {
		case m&fs.ModeSymlink != 0, m&fs.ModeNamedPipe != 0, m&fs.ModeSocket != 0:
			continue
		case m&fs.ModeDevice != 0:
			if perm&0o002 == 0 || harmlessDevices[path.Base(e.Path)] {
				continue
			}
			if sensitiveDevice(path.Base(e.Path), m&fs.ModeCharDevice == 0) {
				add(e, "world-writable-device", "high", "Everyone may write this device node, which gives raw access to memory or storage: any process can rewrite the kernel, the firmware or the file systems.", permReqIntegrity)
			} else {
				add(e, "world-writable-device", "low", "Everyone may write this device node; check that the driver behind it expects unprivileged writers.", permReqPrivilege)
			}
			continue
		case m.IsDir():
			if perm&0o002 != 0 && m&fs.ModeSticky == 0 {
				add(e, "world-writable-directory", "medium", "Everyone may create, replace and delete files in this directory (it has no sticky bit), so any process can swap the programs, scripts or configuration kept here.", permReqIntegrity)
			}
			continue
		case !m.IsRegular():
			continue
		}

		special := sensitiveFile(e.Path)
		switch special {
		case "shadow":
			if perm&0o006 != 0 {
				add(e, "shadow-readable", "high", "Everyone may read (or write) this shadow file, so any process can take the password hashes and crack them offline.", permReqSecrets)
			}
			if e.UID != 0 {
				add(e, "shadow-owner", "medium", fmt.Sprintf("This shadow file belongs to uid %d, not root, so that user can read and change every password hash.", e.UID), permReqSecrets)
			}
		case "passwd":
			if perm&0o002 != 0 {
				add(e, "passwd-writable", "high", "Everyone may write this account file, so any process can add an account with uid 0 or remove root's password.", permReqIntegrity)
			}
		}
		if special == "" && perm&0o002 != 0 {
			sev, why := "medium", ""
			switch {
			case perm&0o111 != 0:
				sev, why = "high", " It is executable: whoever replaces it runs code as whoever starts it, root included."
			case strings.HasPrefix(e.Path, "etc/"):
				sev, why = "high", " It is configuration, read by services running as root."
			}
			add(e, "world-writable-file", sev, "Everyone may write this file."+why, permReqIntegrity)
		}
		if m&fs.ModeSetuid != 0 && perm&0o111 != 0 {
			out = append(out, setidWeakness(e, true))
		}
		if w, ok := capabilityWeakness(e); ok && perm&0o111 != 0 {
			out = append(out, w)
		}
		if m&fs.ModeSetgid != 0 && perm&0o010 != 0 {
			// setgid without group execute is mandatory locking on old kernels, not a privilege.
			out = append(out, setidWeakness(e, false))
		}
		if special == "" && perm&0o004 != 0 && mayHoldPrivateKey(e) {
			add(e, "private-key-readable", "medium", "A private key is readable by everyone: any process, however unprivileged, can take it.", permReqSecrets)
		}
	}
	return out
}

// setidWeakness judges a setuid or setgid program: one that is a shell or busybox hands its
// owner's rights to anyone who runs it.
func setidWeakness(e *unpack.Entry, setuid bool) Weakness {
	base := path.Base(e.Path)
	busybox := strings.HasPrefix(base, "busybox") || bytes.Contains(e.Data, []byte("BusyBox v"))
	shell := isShell(base)
	bit, who, id := "setuid", fmt.Sprintf("uid %d", e.UID), "setuid"
	if !setuid {
		bit, who, id = "setgid", fmt.Sprintf("gid %d", e.GID), "setgid"
	}
	if (setuid && e.UID == 0) || (!setuid && e.GID == 0) {
		who += " (root)"
	}
	root := setuid && e.UID == 0 || !setuid && e.GID == 0
	var sev, msg string
	switch {
	case (busybox || shell) && root:
		sev = "high"
		if !setuid {
			sev = "medium"
		}
		msg = fmt.Sprintf("This shell is %s %s: any local user or any process that can run it gets those rights.", bit, who)
		if busybox {
			msg = fmt.Sprintf("This program is busybox and is %s %s, so every applet linked to it (sh, cat, dd, ...) runs with those rights: any local user or any process that can run it gets them.", bit, who)
		}
	case busybox || shell:
		sev = "medium"
		msg = fmt.Sprintf("This shell or busybox is %s %s: anyone who can run it gets those rights.", bit, who)
	case setuid && root:
		sev = "low"
		msg = fmt.Sprintf("This program is setuid %s: a bug in it gives root to local users. Keep setuid root programs to the few that need it.", who)
	default:
		sev = "info"
		msg = fmt.Sprintf("This program is %s %s.", bit, who)
	}
	return Weakness{
		Rule: "permissions", ID: id, Severity: sev, Path: e.Path, Message: msg,
		Evidence:     fmt.Sprintf("mode %s uid %d gid %d", modeString(e.Mode), e.UID, e.GID),
		Requirements: slices.Clone(permReqPrivilege),
	}
}

// sensitiveFile classifies account files by path.
func sensitiveFile(p string) string {
	switch p {
	case "etc/shadow", "etc/shadow-", "etc/gshadow", "etc/gshadow-", "etc/tcb/shadow", "etc/master.passwd":
		return "shadow"
	case "etc/passwd", "etc/passwd-", "etc/group", "etc/group-":
		return "passwd"
	}
	return ""
}

// sensitiveDevice names devices that reach physical memory, I/O ports or storage.
func sensitiveDevice(base string, block bool) bool {
	if block {
		return true
	}
	switch base {
	case "mem", "kmem", "port", "kcore":
		return true
	}
	for _, p := range []string{"mtd", "mmcblk", "sd", "hd", "nvme", "ubi", "i2c-", "spidev", "gpiochip", "watchdog"} {
		if strings.HasPrefix(base, p) {
			return true
		}
	}
	return false
}

// modeString is ls -l's rendering of the permission bits, with s, S, t and T.
func modeString(m fs.FileMode) string {
	b := []byte("rwxrwxrwx")
	for i := range 9 {
		if m&(1<<uint(8-i)) == 0 {
			b[i] = '-'
		}
	}
	set := func(i int, on bool, lower, upper byte) {
		if !on {
			return
		}
		if b[i] == 'x' {
			b[i] = lower
		} else {
			b[i] = upper
		}
	}
	set(2, m&fs.ModeSetuid != 0, 's', 'S')
	set(5, m&fs.ModeSetgid != 0, 's', 'S')
	set(8, m&fs.ModeSticky != 0, 't', 'T')
	kind := byte('-')
	switch {
	case m.IsDir():
		kind = 'd'
	case m&fs.ModeSymlink != 0:
		kind = 'l'
	case m&fs.ModeCharDevice != 0:
		kind = 'c'
	case m&fs.ModeDevice != 0:
		kind = 'b'
	}
	return string(kind) + string(b)
}
