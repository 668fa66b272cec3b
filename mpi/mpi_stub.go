//go:build !mpi || !cgo

package mpi

import (
	"fmt"
	"unsafe"
)

// initMPI fails: several ranks were launched but this build cannot reach
// them.
func initMPI() error {
	return fmt.Errorf("mpi: launched as one of %d ranks, but %w", launcherSize(), ErrNotBuilt)
}

// The calls below are never reached, because without MPI the world stays
// in single-process mode; they exist so world.go builds either way.

func finalizeMPI() error                            { return ErrNotBuilt }
func allreduceSum(unsafe.Pointer, int, dtype) error { return ErrNotBuilt }
func bcast(unsafe.Pointer, int, dtype, int) error   { return ErrNotBuilt }
func barrier() error                                { return ErrNotBuilt }
