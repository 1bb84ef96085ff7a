package firmware

import (
	"encoding/binary"
	"fmt"
	"slices"
	"strings"

	"github.com/siegel-oss/siegel/internal/firmware/unpack"
)

// File capabilities (the security.capability extended attribute, set by setcap) give a program
// chosen root powers when it runs, as a setuid root bit gives it all of them. The attribute's
// value is Linux's vfs_cap_data: a 32-bit magic that holds the revision (1: one 32-bit set, 2
// and 3: two; 3 adds the user namespace's root uid) and the effective flag, then for each 32-bit
// set the permitted and the inheritable bits.

// capNames are the capabilities by bit number (linux/capability.h).
var capNames = [...]string{
	"chown", "dac_override", "dac_read_search", "fowner", "fsetid", "kill", "setgid", "setuid",
	"setpcap", "linux_immutable", "net_bind_service", "net_broadcast", "net_admin", "net_raw",
	"ipc_lock", "ipc_owner", "sys_module", "sys_rawio", "sys_chroot", "sys_ptrace", "sys_pacct",
	"sys_admin", "sys_boot", "sys_nice", "sys_resource", "sys_time", "sys_tty_config", "mknod",
	"lease", "audit_write", "audit_control", "setfcap", "mac_override", "mac_admin", "syslog",
	"wake_alarm", "block_suspend", "audit_read", "perfmon", "bpf", "checkpoint_restore",
}

// rootEquivalent are the capabilities from which a process can take full root: load kernel
// code, write any file, change its uid, trace root's processes or reach raw memory.
var rootEquivalent = map[string]bool{
	"chown": true, "dac_override": true, "fowner": true, "setgid": true, "setuid": true,
	"setpcap": true, "sys_module": true, "sys_rawio": true, "sys_ptrace": true, "sys_admin": true,
	"setfcap": true, "mknod": true, "bpf": true, "mac_admin": true, "mac_override": true,
}

// fileCaps is a decoded security.capability value.
type fileCaps struct {
	revision               int
	effective              bool
	permitted, inheritable uint64
	rootID                 uint32 // revision 3: the namespace root the capabilities apply under
}

// parseFileCaps decodes a vfs_cap_data value.
func parseFileCaps(v string) (fileCaps, error) {
	b := []byte(v)
	if len(b) < 4 {
		return fileCaps{}, fmt.Errorf("security.capability of %d bytes is shorter than its header", len(b))
	}
	le := binary.LittleEndian
	magic := le.Uint32(b)
	c := fileCaps{revision: int(magic >> 24), effective: magic&1 != 0}
	want := map[int]int{1: 12, 2: 20, 3: 24}[c.revision]
	if want == 0 {
		return fileCaps{}, fmt.Errorf("security.capability revision %d is unknown (1 to 3)", c.revision)
	}
	if len(b) != want {
		return fileCaps{}, fmt.Errorf("security.capability revision %d has %d bytes, want %d", c.revision, len(b), want)
	}
	c.permitted, c.inheritable = uint64(le.Uint32(b[4:])), uint64(le.Uint32(b[8:]))
	if c.revision >= 2 {
		c.permitted |= uint64(le.Uint32(b[12:])) << 32
		c.inheritable |= uint64(le.Uint32(b[16:])) << 32
	}
	if c.revision == 3 {
		c.rootID = le.Uint32(b[20:])
	}
	return c, nil
}

// capList lists the capabilities in set, by name ("cap_net_raw"; "cap_63" beyond those known).
func capList(set uint64) []string {
	var out []string
	for i := range 64 {
		if set&(1<<i) == 0 {
			continue
		}
		name := fmt.Sprintf("cap_%d", i)
		if i < len(capNames) {
			name = "cap_" + capNames[i]
		}
		out = append(out, name)
	}
	return out
}

// String spells the capabilities as getcap does: "cap_net_raw,cap_net_admin=ep".
func (c fileCaps) String() string {
	var parts []string
	add := func(set uint64, flags string) {
		if set != 0 {
			parts = append(parts, strings.Join(capList(set), ",")+"="+flags)
		}
	}
	eff := ""
	if c.effective {
		eff = "e"
	}
	both := c.permitted & c.inheritable
	add(both, eff+"ip")
	add(c.permitted&^both, eff+"p")
	add(c.inheritable&^both, eff+"i")
	s := strings.Join(parts, " ")
	if c.revision == 3 {
		s += fmt.Sprintf(" [rootid=%d]", c.rootID)
	}
	return s
}

// capabilityWeakness judges a file that carries capabilities; ok is false when it has none.
func capabilityWeakness(e *unpack.Entry) (Weakness, bool) {
	v, ok := e.Xattrs["security.capability"]
	if !ok {
		return Weakness{}, false
	}
	w := Weakness{Rule: "permissions", ID: "file-capabilities", Path: e.Path, Requirements: slices.Clone(permReqPrivilege)}
	c, err := parseFileCaps(v)
	if err != nil {
		w.Severity, w.Message = "medium", "The file carries a security.capability attribute that Linux would not accept: "+err.Error()+"."
		return w, true
	}
	w.Evidence = "security.capability " + c.String()
	granted := capList(c.permitted)
	var root []string
	for _, n := range granted {
		if rootEquivalent[strings.TrimPrefix(n, "cap_")] {
			root = append(root, n)
		}
	}
	switch {
	case len(granted) == 0:
		w.Severity, w.Message = "info", "The file carries only inheritable capabilities: it gains nothing unless its caller already holds them."
	case len(root) > 0:
		w.Severity = "high"
		w.Message = fmt.Sprintf("Whoever runs this program gets %s, from which a process can take full root (%s): a bug in it, or a way to make it run other code, gives root to local users, as a setuid root program would.", strings.Join(granted, ", "), strings.Join(root, ", "))
	default:
		w.Severity = "low"
		w.Message = fmt.Sprintf("Whoever runs this program gets %s. Narrower than setuid root, but a bug in it hands these powers to local users: keep capabilities to the programs that need them.", strings.Join(granted, ", "))
	}
	return w, true
}
