package cli

import (
	"bytes"
	"strings"
	"testing"
)

// TestServeLabAllow: --lab-allow takes lab ranges only; a range covering every address, or what
// is no range at all, is a usage error before anything starts.
func TestServeLabAllow(t *testing.T) {
	for _, tc := range []struct{ allow, want string }{
		{"0.0.0.0/0", "covers every address"},
		{"::/0", "covers every address"},
		{"lab.example", "not a CIDR range or address"},
		{"192.0.2.0/33", "--lab-allow \"192.0.2.0/33\""},
	} {
		var out, errOut bytes.Buffer
		args := []string{"serve", "--addr", "127.0.0.1:0", "--data", t.TempDir(), "--lab-allow", tc.allow}
		if code := Run(t.Context(), args, strings.NewReader(""), &out, &errOut, func(string) string { return "" }); code != 2 || !strings.Contains(errOut.String(), tc.want) {
			t.Errorf("--lab-allow %s: exit %d, stderr %q, want 2 and %q", tc.allow, code, errOut.String(), tc.want)
		}
	}
}
