package labnet

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// helperEnv makes the test binary, run again by the tests below, play a test that starts a lab
// and then fails ("fail") or dies without any cleanup ("exit").
const helperEnv = "SIEGEL_LABNET_HELPER"

// TestHelperLab is not a test of its own: it only acts when helperEnv is set.
func TestHelperLab(t *testing.T) {
	mode := os.Getenv(helperEnv)
	if mode == "" {
		t.Skip("helper for TestNothingLeftAfterFailure")
	}
	l := Start(t, Mirai)
	rec := map[string]any{"dut": l.topo.dutNS, "wan": l.topo.wanNS, "links": []string{l.topo.rootLAN, l.topo.rootWAN}, "index": l.topo.index}
	var pids []int
	for _, p := range l.procs {
		pids = append(pids, p.cmd.Process.Pid)
	}
	rec["pids"] = pids
	b, _ := json.Marshal(rec)
	if err := os.WriteFile(os.Getenv(helperEnv+"_OUT"), b, 0o644); err != nil {
		t.Fatal(err)
	}
	if mode == "exit" {
		os.Exit(7) // no cleanup runs: as when the process is killed
	}
	t.Fatal("failing on purpose, with the lab up")
}

// TestNothingLeftAfterFailure runs a test that fails with its lab up, and one whose process
// dies with its lab up, each in a process of its own, and checks that nothing is left: the
// first by its cleanup, the second by the sweep of the next lab started.
func TestNothingLeftAfterFailure(t *testing.T) {
	skipUnlessAvailable(t, Mirai)
	for _, mode := range []string{"fail", "exit"} {
		t.Run(mode, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "lab.json")
			cmd := exec.CommandContext(t.Context(), os.Args[0], "-test.run=^TestHelperLab$", "-test.count=1")
			cmd.Env = append(os.Environ(), helperEnv+"="+mode, helperEnv+"_OUT="+out)
			output, err := cmd.CombinedOutput()
			if err == nil {
				t.Fatalf("the helper test passed; want it to fail:\n%s", output)
			}
			if mode == "fail" && !strings.Contains(string(output), "failing on purpose") {
				t.Fatalf("the helper failed for another reason:\n%s", output)
			}
			b, err := os.ReadFile(out)
			if err != nil {
				t.Fatalf("the helper recorded no lab: %v\n%s", err, output)
			}
			var rec struct {
				DUT, WAN string
				Links    []string
				Index    int
				Pids     []int
			}
			if err := json.Unmarshal(b, &rec); err != nil {
				t.Fatal(err)
			}
			topo := &topology{dutNS: rec.DUT, wanNS: rec.WAN, rootLAN: rec.Links[0], rootWAN: rec.Links[1], index: rec.Index}
			if mode == "exit" {
				// Pdeathsig has killed the daemons with their parent; the namespaces stay
				// until the next lab's sweep.
				waitGone(t, rec.Pids)
				if _, err := os.Stat("/run/netns/" + rec.DUT); err != nil {
					t.Fatalf("namespace %s gone before any sweep: the test proves nothing", rec.DUT)
				}
				next, err := setUp(t.Context())
				if err != nil {
					t.Fatal(err)
				}
				if err := next.tearDown(t.Context()); err != nil {
					t.Fatal(err)
				}
			}
			checkGone(t, topo, "", rec.Pids)
		})
	}
}

// waitGone waits (up to 5 s) until the processes have ended.
func waitGone(t *testing.T, pids []int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for _, pid := range pids {
		for processAlive(pid) && time.Now().Before(deadline) {
			time.Sleep(20 * time.Millisecond)
		}
	}
}
