package main

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/anvil-ml/anvil/nn"
)

// TestHelperHoldLock is not a test: TestSecondProcessIsRefused runs the test
// binary as a second process that holds an -out folder's lock, as a
// running train would.
func TestHelperHoldLock(t *testing.T) {
	dir := os.Getenv("ANVIL_TEST_HOLD_LOCK")
	if dir == "" {
		t.Skip("helper process only")
	}
	if _, err := lockDir(dir); err != nil {
		fmt.Println("error:", err)
		os.Exit(1)
	}
	fmt.Println("locked")
	bufio.NewReader(os.Stdin).ReadString('\n') // hold until killed or told
	os.Exit(0)
}

// holdLock starts a process that holds out's lock, and returns it.
func holdLock(t *testing.T, out string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperHoldLock$")
	cmd.Env = append(os.Environ(), "ANVIL_TEST_HOLD_LOCK="+out)
	if _, err := cmd.StdinPipe(); err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	if line, _ := bufio.NewReader(stdout).ReadString('\n'); line != "locked\n" {
		t.Fatalf("helper: %q", line)
	}
	return cmd
}

// While one process trains into an -out folder, a second one (new run or
// -resume) is refused with the first one's PID; a holder killed with
// SIGKILL leaves the folder usable.
func TestSecondProcessIsRefused(t *testing.T) {
	out := t.TempDir()
	nn.ClearSession()
	if _, _, err := runTrain(t, context.Background(), linregArgs(out, "-epochs", "1")...); err != nil {
		t.Fatal(err)
	}
	holder := holdLock(t, out)
	pid := fmt.Sprintf("PID %d", holder.Process.Pid)
	for _, args := range [][]string{
		{"-resume", out, "-epochs", "2", "-verbose", "0"},
		linregArgs(out, "-epochs", "1", "-overwrite"),
	} {
		nn.ClearSession()
		_, _, err := runTrain(t, context.Background(), args...)
		if err == nil || !strings.Contains(err.Error(), pid) || !strings.Contains(err.Error(), "in use") {
			t.Errorf("%v while another process holds the folder: error %v, want one naming %s", args, err, pid)
		}
	}
	names, _ := checkpointNames(out + "/" + checkpointsDir)
	if len(names) != 1 {
		t.Errorf("the refused runs changed the checkpoints: %v", names)
	}
	holder.Process.Kill()
	holder.Wait()
	nn.ClearSession()
	if _, _, err := runTrain(t, context.Background(), "-resume", out, "-epochs", "2", "-verbose", "0"); err != nil {
		t.Errorf("after the holder was killed: %v", err)
	}
}
