// Package mpitest holds what the tests that start ranks under mpirun
// share: the launcher's options and how to find it.
package mpitest

import (
	"os"
	"os/exec"
	"testing"
)

// Args are the mpirun options that work in a container with no network
// but loopback, run as root, on fewer cores than ranks:
//   - --oversubscribe: two ranks on a machine Open MPI counts as one slot.
//   - --allow-run-as-root: CI runs as root, which mpirun refuses otherwise.
//   - --bind-to none and mpi_yield_when_idle: a rank waiting in an
//     allreduce neither pins nor spins on the core its peer computes on.
//   - btl self,tcp over lo: the shared-memory btl (vader) needs a large
//     /dev/shm and ptrace rights for its single-copy path that containers
//     often lack, and there is no other interface to use.
//   - oob_tcp_if_include lo: mpirun's own control channel, likewise.
//   - plm_rsh_agent false: one node needs no ssh, but mpirun looks for one
//     at start-up and the image has none.
var Args = []string{
	"--oversubscribe", "--allow-run-as-root", "--bind-to", "none", "--mca", "mpi_yield_when_idle", "1",
	"--mca", "btl", "self,tcp",
	"--mca", "btl_tcp_if_include", "lo",
	"--mca", "oob_tcp_if_include", "lo",
	"--mca", "plm_rsh_agent", "false",
}

// Mpirun finds mpirun, skipping the test when it is absent unless
// ANVIL_REQUIRE_MPI asks for a failure instead (as CI does).
func Mpirun(t *testing.T) string {
	t.Helper()
	path, err := exec.LookPath("mpirun")
	if err == nil {
		return path
	}
	if os.Getenv("ANVIL_REQUIRE_MPI") != "" {
		t.Fatalf("ANVIL_REQUIRE_MPI is set but mpirun is not on PATH (%v): install openmpi-bin (.ci/setup.sh does)", err)
	}
	t.Skipf("mpirun is not on PATH (%v); install openmpi-bin, or set ANVIL_REQUIRE_MPI=1 to make this a failure", err)
	return ""
}
