// Package firmware analyses an unpacked firmware image: what it contains (components, with the
// evidence for each) and where it breaks minimum security requirements (default credentials,
// remote shells started at boot, embedded private keys, unsafe permissions, unhardened binaries).
package firmware

// Weakness is one place in an image that breaks a security requirement.
type Weakness struct {
	// Rule names the check, and is what --fail-on takes: "weak-credentials", "telnet",
	// "private-key", "permissions", "hardening".
	Rule     string `json:"rule"`
	ID       string `json:"id"`       // stable identifier of the specific finding kind, such as "empty-password"
	Severity string `json:"severity"` // "critical", "high", "medium", "low" or "info"
	Path     string `json:"path"`     // file in the unpacked tree
	Line     int    `json:"line,omitempty"`
	Offset   int64  `json:"offset,omitempty"` // byte offset in Path, when the finding is in a binary
	Message  string `json:"message"`          // what is wrong and what it means, in one or two sentences
	Evidence string `json:"evidence,omitempty"`
	// Requirements are the clauses broken, such as "ETSI EN 303 645 5.1-1".
	Requirements []string `json:"requirements"`
}
