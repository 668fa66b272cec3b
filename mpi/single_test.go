package mpi

import (
	"testing"
)

// resetWorld forgets Init and Finalize, so that each test starts from a
// fresh process's state. Tests that call it do not run under mpirun.
func resetWorld(t *testing.T) {
	t.Helper()
	if launcherSize() > 1 {
		t.Skip("single-process test; not run under mpirun")
	}
	world.mu.Lock()
	defer world.mu.Unlock()
	world.started, world.initErr, world.multi, world.finalized = false, nil, false, false
	world.rank, world.size, world.localRank = 0, 1, 0
}

// TestSingleProcess checks the world outside mpirun, with or without the
// mpi tag: one rank, and collectives that are the identity.
func TestSingleProcess(t *testing.T) {
	resetWorld(t)
	t.Cleanup(func() { resetWorld(t) })
	for step, call := range []func() error{func() error { return nil }, Init, Init} {
		if err := call(); err != nil {
			t.Fatalf("step %d: Init: %v", step, err)
		}
		if Rank() != 0 || Size() != 1 || LocalRank() != 0 {
			t.Fatalf("step %d: Rank %d, Size %d, LocalRank %d; want 0, 1, 0", step, Rank(), Size(), LocalRank())
		}
		f32 := []float32{1.5, -2, 3}
		f64 := []float64{0.1, 7}
		b := []byte("keep")
		for _, err := range []error{AllreduceSumFloat32(f32), AllreduceSumFloat64(f64), BcastFloat32(f32, 0), BcastBytes(b, 0), Barrier()} {
			if err != nil {
				t.Fatalf("step %d: %v", step, err)
			}
		}
		if f32[0] != 1.5 || f32[1] != -2 || f32[2] != 3 || f64[0] != 0.1 || f64[1] != 7 || string(b) != "keep" {
			t.Fatalf("step %d: one rank's collectives changed the data: %v %v %q", step, f32, f64, b)
		}
		if err := BcastFloat32(f32, 1); err == nil {
			t.Fatalf("step %d: Bcast from root 1 of 1 rank succeeded, want an error", step)
		}
	}
	if err := Finalize(); err != nil {
		t.Fatal(err)
	}
	if err := Init(); err == nil {
		t.Fatal("Init after Finalize succeeded, want an error")
	}
}
