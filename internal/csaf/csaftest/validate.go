// Package csaftest checks CSAF documents in tests with BSI's csaf-validator-lib, run by node from
// tools/csaf-validate: the strict schema, the mandatory tests (CSAF 2.0 section 6.1), the
// recommended tests (6.2: a warning fails) and the informative tests (6.3: a finding fails,
// but those of AcceptedInfo).
package csaftest

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
)

// AcceptedInfo names the informative tests whose findings Siegel's documents may have, because
// they depend on the data: 6.3.3 (missing CVE: a vulnerability known only by a GHSA or other id
// has none) and 6.3.4 (missing CWE: the vulnerability database Siegel matches against records
// none). 6.3.6 and 6.3.7 resolve URLs over the network and 6.3.8 runs hunspell: validate.mjs runs
// them only when asked (--network, --spelling).
var AcceptedInfo = []string{"informativeTest_6_3_3", "informativeTest_6_3_4"}

// Validator runs tools/csaf-validate/validate.mjs.
type Validator struct {
	node, script string
}

// New finds node and the installed library. Without them the test skips, unless
// SIEGEL_TEST_CSAF_VALIDATOR_REQUIRED is set (CI installs both and sets it).
func New(t testing.TB) *Validator {
	t.Helper()
	_, file, _, _ := runtime.Caller(0)
	dir := filepath.Join(filepath.Dir(file), "..", "..", "..", "tools", "csaf-validate")
	node, err := exec.LookPath("node")
	if _, serr := os.Stat(filepath.Join(dir, "node_modules", "@secvisogram", "csaf-validator-lib")); err != nil || serr != nil {
		if os.Getenv("SIEGEL_TEST_CSAF_VALIDATOR_REQUIRED") != "" {
			t.Fatalf("need node and 'npm ci --prefix tools/csaf-validate' (node: %v, library: %v)", err, serr)
		}
		t.Skip("no node or csaf-validator-lib")
	}
	return &Validator{node: node, script: filepath.Join(dir, "validate.mjs")}
}

// Check validates the documents (file name -> content) in one run and returns, per file name,
// whether it passed, with the validator's report.
func (v *Validator) Check(t testing.TB, docs map[string][]byte) (map[string]bool, string) {
	t.Helper()
	tmp := t.TempDir()
	args := []string{v.script, "--fail-on-info", "--accept-info=" + strings.Join(AcceptedInfo, ",")}
	names := make([]string, 0, len(docs))
	for name := range docs {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		f := filepath.Join(tmp, name)
		if err := os.WriteFile(f, docs[name], 0o644); err != nil {
			t.Fatal(err)
		}
		args = append(args, f)
	}
	out, _ := exec.Command(v.node, args...).CombinedOutput()
	valid := map[string]bool{}
	for _, name := range names {
		valid[name] = strings.Contains(string(out), filepath.Join(tmp, name)+": valid")
	}
	return valid, string(out)
}

// Valid fails the test unless every document passes.
func (v *Validator) Valid(t testing.TB, docs map[string][]byte) {
	t.Helper()
	valid, out := v.Check(t, docs)
	for name, ok := range valid {
		if !ok {
			t.Errorf("%s does not pass csaf-validator-lib:\n%s", name, out)
		}
	}
}
