//go:build mpi && cgo

package mpi

import (
	"errors"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"
)

// needRanks skips a TestRanked test outside mpirun: TestUnderMPIRun runs
// it on two ranks.
func needRanks(t *testing.T) {
	t.Helper()
	if Size() < 2 {
		t.Skip("needs two or more ranks; TestUnderMPIRun runs it under mpirun")
	}
}

// TestFaultChild is TestRankKilled's body: rank 1 dies as ANVIL_MPI_FAULT
// says (kill: SIGKILL; exit: exit status 1 without MPI_Finalize) while
// rank 0 keeps calling Allreduce.
func TestFaultChild(t *testing.T) {
	needRanks(t)
	fault := os.Getenv("ANVIL_MPI_FAULT")
	if fault == "" {
		t.Skip("runs only from TestRankKilled")
	}
	if err := Barrier(); err != nil {
		t.Fatal(err)
	}
	if Rank() == 1 {
		if fault == "kill" {
			syscall.Kill(os.Getpid(), syscall.SIGKILL)
		}
		os.Exit(1)
	}
	buf := make([]float32, 1<<16)
	deadline := time.Now().Add(45 * time.Second)
	for i := 0; time.Now().Before(deadline); i++ {
		if err := AllreduceSumFloat32(buf); err != nil {
			t.Logf("rank %d: Allreduce %d failed: %v", Rank(), i, err)
			os.Stdout.Sync()
			os.Exit(3)
		}
	}
	t.Fatalf("rank %d: Allreduce kept succeeding for 45 s after rank 1 was killed", Rank())
}

// TestRankedAllreduce checks sums that float32 and float64 hold exactly,
// on a short buffer and on one large enough to be split into many TCP
// fragments.
func TestRankedAllreduce(t *testing.T) {
	needRanks(t)
	r, n := Rank(), Size()
	for _, length := range []int{1, 1000, 3 << 20} {
		f32 := make([]float32, length)
		f64 := make([]float64, length)
		for i := range f32 {
			f32[i] = float32((r + 1) * (i % 4096))
			f64[i] = float64(r+1)*float64(i) + 0.25
		}
		if err := AllreduceSumFloat32(f32); err != nil {
			t.Fatal(err)
		}
		if err := AllreduceSumFloat64(f64); err != nil {
			t.Fatal(err)
		}
		ranks := n * (n + 1) / 2 // Σ (r+1) over ranks
		for i := range f32 {
			if want := float32(ranks * (i % 4096)); f32[i] != want {
				t.Fatalf("rank %d, float32 length %d, element %d: got %v, want %v", r, length, i, f32[i], want)
			}
			if want := float64(ranks)*float64(i) + 0.25*float64(n); f64[i] != want {
				t.Fatalf("rank %d, float64 length %d, element %d: got %v, want %v", r, length, i, f64[i], want)
			}
		}
	}
}

// TestRankedRanks checks that the ranks are 0..Size-1, each once, and that
// one node's local ranks match MPI's own shared-memory split.
func TestRankedRanks(t *testing.T) {
	needRanks(t)
	seen := make([]float64, Size())
	seen[Rank()] = 1
	if err := AllreduceSumFloat64(seen); err != nil {
		t.Fatal(err)
	}
	for r, c := range seen {
		if c != 1 {
			t.Fatalf("rank %d was claimed by %v processes, want 1", r, c)
		}
	}
	if LocalRank() != world.localRank || LocalRank() != Rank() {
		t.Fatalf("rank %d on one node: LocalRank %d (environment), split_type gave %d; want all equal", Rank(), LocalRank(), world.localRank)
	}
}

// TestRankedBcast checks that every rank ends with the root's data, for
// the first and the last rank as root.
func TestRankedBcast(t *testing.T) {
	needRanks(t)
	for _, root := range []int{0, Size() - 1} {
		f := make([]float32, 5000)
		b := make([]byte, 7001)
		for i := range f {
			f[i] = float32(Rank()*100000 + i)
		}
		for i := range b {
			b[i] = byte(Rank()*31 + i)
		}
		if err := BcastFloat32(f, root); err != nil {
			t.Fatal(err)
		}
		if err := BcastBytes(b, root); err != nil {
			t.Fatal(err)
		}
		for i := range f {
			if want := float32(root*100000 + i); f[i] != want {
				t.Fatalf("rank %d, root %d, float32 %d: got %v, want %v", Rank(), root, i, f[i], want)
			}
		}
		for i := range b {
			if want := byte(root*31 + i); b[i] != want {
				t.Fatalf("rank %d, root %d, byte %d: got %v, want %v", Rank(), root, i, b[i], want)
			}
		}
	}
}

// TestRankedErrors checks that a bad call returns MPI's error instead of
// aborting the job, and that the world still works after it.
func TestRankedErrors(t *testing.T) {
	needRanks(t)
	for _, root := range []int{Size(), -1} {
		err := BcastFloat32(make([]float32, 4), root)
		var mpiErr *Error
		if !errors.As(err, &mpiErr) {
			t.Fatalf("rank %d: Bcast with root %d: got %v, want an *mpi.Error", Rank(), root, err)
		}
		if mpiErr.Op != "MPI_Bcast" || mpiErr.Rank != Rank() || !strings.Contains(mpiErr.Msg, "MPI_ERR_ROOT") {
			t.Fatalf("rank %d: Bcast with root %d: got %+v, want MPI_Bcast failing with MPI_ERR_ROOT on this rank", Rank(), root, mpiErr)
		}
		t.Logf("rank %d: %v", Rank(), err)
	}
	if err := Barrier(); err != nil {
		t.Fatalf("rank %d: Barrier after a failed call: %v", Rank(), err)
	}
}
