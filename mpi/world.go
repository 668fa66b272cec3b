package mpi

import (
	"errors"
	"fmt"
	"math"
	"os"
	"strconv"
	"sync"
	"unsafe"
)

// ErrNotBuilt is wrapped by the error Init returns when a launcher started
// several ranks but the program was built without -tags mpi (or without
// cgo), so the ranks cannot talk to each other.
var ErrNotBuilt = errors.New("built without -tags mpi: rebuild with `go build -tags mpi` (cgo enabled, libopenmpi-dev installed) to run under mpirun")

// ErrNotInitialized is returned by a collective called before Init (or
// after Finalize) in a process that a launcher started as one of several
// ranks.
var ErrNotInitialized = errors.New("mpi: Init has not been called (or Finalize has): call mpi.Init at the start of main")

// Error is a failed MPI call: the function, the calling rank, and MPI's
// error code, error class and error string.
type Error struct {
	Op    string // the MPI function, e.g. "MPI_Bcast"
	Rank  int    // the calling rank in the world communicator
	Code  int    // the code MPI returned
	Class int    // MPI_Error_class of Code
	Msg   string // MPI_Error_string of Code
}

// Error implements error.
func (e *Error) Error() string {
	return fmt.Sprintf("mpi: %s on rank %d: %s (code %d, class %d)", e.Op, e.Rank, e.Msg, e.Code, e.Class)
}

// world is this process's view of MPI_COMM_WORLD. mu also serialises every
// MPI call (MPI_THREAD_SERIALIZED).
var world struct {
	mu        sync.Mutex
	started   bool // Init has run (successfully or not)
	initErr   error
	multi     bool // MPI_Init succeeded with more than one rank
	finalized bool
	rank      int
	size      int
	localRank int
}

// launcherSize is the number of ranks a launcher says it started, or 1 when
// this process was not started by one. Open MPI sets OMPI_COMM_WORLD_SIZE;
// MPICH's Hydra and Slurm's PMI set PMI_SIZE.
func launcherSize() int {
	for _, name := range []string{"OMPI_COMM_WORLD_SIZE", "PMI_SIZE"} {
		if n, err := strconv.Atoi(os.Getenv(name)); err == nil && n > 0 {
			return n
		}
	}
	return 1
}

// Init initialises MPI once; later calls return the first call's result.
// Outside a launcher, or with one rank, it sets up single-process mode and
// does not touch the MPI runtime.
func Init() error {
	world.mu.Lock()
	defer world.mu.Unlock()
	if world.finalized {
		return errors.New("mpi: Init after Finalize: MPI cannot be initialised twice in one process")
	}
	if world.started {
		return world.initErr
	}
	world.started = true
	world.rank, world.size, world.localRank = 0, 1, 0
	if n := launcherSize(); n > 1 {
		world.initErr = initMPI()
		world.multi = world.initErr == nil
	}
	return world.initErr
}

// Finalize shuts MPI down; every rank must call it before exiting
// normally. It is a no-op in single-process mode and on a second call.
func Finalize() error {
	world.mu.Lock()
	defer world.mu.Unlock()
	if world.finalized {
		return nil
	}
	world.finalized = true
	if !world.multi {
		return nil
	}
	world.multi = false
	return finalizeMPI()
}

// Rank is this process's rank in the world communicator (0 before Init and
// in single-process mode).
func Rank() int {
	world.mu.Lock()
	defer world.mu.Unlock()
	if !world.multi {
		return 0
	}
	return world.rank
}

// Size is the number of ranks in the world communicator (1 before Init and
// in single-process mode).
func Size() int {
	world.mu.Lock()
	defer world.mu.Unlock()
	if !world.multi {
		return 1
	}
	return world.size
}

// LocalRank is this process's rank among the ranks on its node, which
// picks its GPU: OMPI_COMM_WORLD_LOCAL_RANK when the launcher set it,
// otherwise the rank in MPI's shared-memory split of the world (0 in
// single-process mode).
func LocalRank() int {
	if n, err := strconv.Atoi(os.Getenv("OMPI_COMM_WORLD_LOCAL_RANK")); err == nil && n >= 0 {
		return n
	}
	world.mu.Lock()
	defer world.mu.Unlock()
	if !world.multi {
		return 0
	}
	return world.localRank
}

// dtype names the MPI datatypes the binding uses.
type dtype int

const (
	float32Type dtype = iota
	float64Type
	byteType
)

// collective runs call over buf (n elements of elemSize bytes) in chunks
// that fit MPI's int count, holding the MPI lock. In single-process mode
// nothing needs to move, so call is not made.
func collective(n, elemSize int, base unsafe.Pointer, call func(p unsafe.Pointer, count int) error) error {
	world.mu.Lock()
	defer world.mu.Unlock()
	if !world.multi {
		if launcherSize() > 1 {
			return ErrNotInitialized
		}
		return nil
	}
	for off := 0; off < n; off += math.MaxInt32 {
		count := min(n-off, math.MaxInt32)
		if err := call(unsafe.Add(base, off*elemSize), count); err != nil {
			return err
		}
	}
	return nil
}

// AllreduceSumFloat32 replaces buf, on every rank, with the elementwise sum
// of buf over all ranks. The order of the additions is MPI's, so sums of
// three or more ranks may differ in the last bit between MPI libraries.
func AllreduceSumFloat32(buf []float32) error {
	return collective(len(buf), 4, unsafe.Pointer(unsafe.SliceData(buf)), func(p unsafe.Pointer, n int) error {
		return allreduceSum(p, n, float32Type)
	})
}

// AllreduceSumFloat64 replaces buf, on every rank, with the elementwise sum
// of buf over all ranks.
func AllreduceSumFloat64(buf []float64) error {
	return collective(len(buf), 8, unsafe.Pointer(unsafe.SliceData(buf)), func(p unsafe.Pointer, n int) error {
		return allreduceSum(p, n, float64Type)
	})
}

// BcastFloat32 copies root's buf into buf on every other rank.
func BcastFloat32(buf []float32, root int) error {
	return bcastSlice(len(buf), 4, unsafe.Pointer(unsafe.SliceData(buf)), float32Type, root)
}

// BcastBytes copies root's buf into buf on every other rank.
func BcastBytes(buf []byte, root int) error {
	return bcastSlice(len(buf), 1, unsafe.Pointer(unsafe.SliceData(buf)), byteType, root)
}

// bcastSlice broadcasts n elements at base from root. MPI checks root
// itself (MPI_ERR_ROOT); single-process mode checks it here so that a bad
// root fails the same way with or without mpirun.
func bcastSlice(n, elemSize int, base unsafe.Pointer, t dtype, root int) error {
	if size := Size(); size == 1 && root != 0 {
		return fmt.Errorf("mpi: Bcast from root %d in a world of %d rank: the root must be 0", root, size)
	}
	return collective(n, elemSize, base, func(p unsafe.Pointer, count int) error {
		return bcast(p, count, t, root)
	})
}

// Barrier returns once every rank has called it.
func Barrier() error {
	return collective(1, 0, nil, func(unsafe.Pointer, int) error { return barrier() })
}
