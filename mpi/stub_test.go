//go:build !mpi || !cgo

package mpi

import (
	"errors"
	"testing"
)

// TestLaunchedWithoutTag checks that a build without MPI refuses to run as
// one of several ranks instead of training them apart.
func TestLaunchedWithoutTag(t *testing.T) {
	resetWorld(t)
	t.Cleanup(func() { resetWorld(t) })
	t.Setenv("OMPI_COMM_WORLD_SIZE", "2")
	t.Setenv("OMPI_COMM_WORLD_RANK", "1")
	if err := AllreduceSumFloat32(make([]float32, 3)); !errors.Is(err, ErrNotInitialized) {
		t.Fatalf("Allreduce before Init under a launcher: got %v, want ErrNotInitialized", err)
	}
	err := Init()
	if !errors.Is(err, ErrNotBuilt) {
		t.Fatalf("Init under a launcher of 2 ranks: got %v, want ErrNotBuilt", err)
	}
	t.Log(err)
	if Size() != 1 {
		t.Fatalf("Size after a failed Init: %d, want 1", Size())
	}
	for _, err := range []error{AllreduceSumFloat64(make([]float64, 3)), BcastBytes(make([]byte, 3), 0), Barrier()} {
		if !errors.Is(err, ErrNotInitialized) {
			t.Fatalf("collective after a failed Init under a launcher: got %v, want ErrNotInitialized", err)
		}
	}
}
