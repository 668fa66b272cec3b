// Package freshproc lets a test run in a process of its own. The Vulkan
// loader is loaded, and the process's Vulkan instance created, once per
// process (package gpu keeps them until the process exits), so a test that
// simulates a machine without a driver or a loader needs a process that has
// not made them yet.
package freshproc

import (
	"os"
	"os/exec"
	"strings"
	"testing"
)

// marker names the test a child process was started for.
const marker = "ANVIL_TEST_FRESH_PROCESS"

// Run reports whether the calling test runs in a process of its own, started
// for it. If not, it runs the test again in a new process of the same test
// binary with env ("NAME=value") added, fails t unless the test passes
// there (skips t if it skipped there), and returns false: the caller then
// returns.
func Run(t *testing.T, env ...string) bool {
	t.Helper()
	if os.Getenv(marker) == t.Name() {
		return true
	}
	cmd := exec.Command(os.Args[0], "-test.run=^"+t.Name()+"$", "-test.count=1", "-test.v")
	cmd.Env = append(append(os.Environ(), marker+"="+t.Name()), env...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s in a fresh process: %v\n%s", t.Name(), err, out)
	}
	switch {
	case strings.Contains(string(out), "--- SKIP: "+t.Name()):
		t.Skipf("skipped in a fresh process:\n%s", out)
	case !strings.Contains(string(out), "--- PASS: "+t.Name()):
		t.Fatalf("%s did not pass in a fresh process:\n%s", t.Name(), out)
	}
	return false
}
