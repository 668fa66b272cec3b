//go:build mpi && cgo

package mpi

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/anvil-ml/anvil/internal/mpitest"
)

// TestMain initialises MPI when mpirun started this test binary (see
// runUnderMPI), and otherwise runs the tests as a single process.
func TestMain(m *testing.M) {
	if launcherSize() == 1 {
		os.Exit(m.Run())
	}
	if err := Init(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	code := m.Run()
	if code == 0 {
		if err := Finalize(); err != nil {
			fmt.Fprintln(os.Stderr, err)
			code = 2
		}
	}
	os.Exit(code)
}

// runUnderMPI re-executes this test binary under mpirun with np ranks,
// running the tests that match pattern, and returns their combined output,
// mpirun's exit error and how long it took. It never waits past timeout.
func runUnderMPI(t *testing.T, np int, pattern string, timeout time.Duration, env ...string) (string, error, time.Duration) {
	t.Helper()
	mpirun := mpitest.Mpirun(t)
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	args := append([]string{"-np", fmt.Sprint(np)}, mpitest.Args...)
	args = append(args, os.Args[0], "-test.run", pattern, "-test.v", "-test.count=1")
	cmd := exec.CommandContext(ctx, mpirun, args...)
	cmd.Env = append(os.Environ(), env...)
	cmd.WaitDelay = 5 * time.Second
	start := time.Now()
	out, err := cmd.CombinedOutput()
	elapsed := time.Since(start)
	if ctx.Err() != nil {
		t.Fatalf("mpirun did not finish within %v (a hang); output:\n%s", timeout, out)
	}
	return string(out), err, elapsed
}

// TestUnderMPIRun runs the TestRanked tests on two ranks.
func TestUnderMPIRun(t *testing.T) {
	if launcherSize() > 1 {
		t.Skip("already under mpirun")
	}
	const np = 2
	out, err, elapsed := runUnderMPI(t, np, "^TestRanked", 2*time.Minute)
	if err != nil {
		t.Fatalf("mpirun -np %d: %v after %v; output:\n%s", np, err, elapsed, out)
	}
	// A child that did not see its ranks would skip every test and pass.
	for _, name := range []string{"TestRankedAllreduce", "TestRankedRanks", "TestRankedBcast", "TestRankedErrors"} {
		if got := strings.Count(out, "--- PASS: "+name+" "); got != np {
			t.Errorf("%s passed on %d ranks, want %d", name, got, np)
		}
	}
	t.Logf("mpirun -np 2 passed in %v; output:\n%s", elapsed, out)
}

// TestRankKilled makes rank 1 die while rank 0 is in collectives, and
// checks that the job ends within the timeout instead of hanging, with a
// non-zero exit and output that names the rank that died.
//
// Open MPI 4.1 has no fault tolerance in MPI_COMM_WORLD: with
// MPI_ERRORS_RETURN the survivor's Allreduce does not return an error; its
// TCP btl prints "peer process has unexpectedly disconnected" and the call
// blocks for ever (run mpirun with --enable-recovery to see it). What ends
// the job is mpirun itself, which kills every rank once one exits
// abnormally. So the guarantee is mpirun's, and this test holds it to it.
func TestRankKilled(t *testing.T) {
	if launcherSize() > 1 {
		t.Skip("already under mpirun")
	}
	for _, c := range []struct{ fault, want string }{
		{"kill", "exited on signal 9"},
		{"exit", "exited with non-zero status"},
	} {
		t.Run(c.fault, func(t *testing.T) {
			out, err, elapsed := runUnderMPI(t, 2, "^TestFaultChild$", time.Minute, "ANVIL_MPI_FAULT="+c.fault)
			var exit *exec.ExitError
			if !errors.As(err, &exit) {
				t.Fatalf("mpirun with a dead rank: got error %v, want a non-zero exit; output:\n%s", err, out)
			}
			if !strings.Contains(out, c.want) {
				t.Fatalf("mpirun's output does not say %q; output:\n%s", c.want, out)
			}
			if strings.Contains(out, "kept succeeding") {
				t.Fatalf("rank 0 outlived its peer; output:\n%s", out)
			}
			t.Logf("mpirun exited with %v after %v; output:\n%s", err, elapsed, out)
		})
	}
}
