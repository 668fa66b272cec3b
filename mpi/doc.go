// Package mpi is Anvil's thin binding to the standard MPI C API, for
// data-parallel training across processes started by mpirun.
//
// The binding is behind the build tag mpi and needs cgo and an MPI
// implementation (Debian: libopenmpi-dev, found with pkg-config ompi-c):
//
//	go build -tags mpi ./...
//	mpirun -np 4 ./train ...
//
// Without the tag (or with CGO_ENABLED=0) the package still builds and runs
// in single-process mode, so library code can call it unconditionally:
// Rank is 0, Size is 1, AllreduceSum leaves its buffer as it is (the sum
// over one rank) and Bcast and Barrier do nothing. The same single-process
// mode is used by an MPI build that was not started by a launcher, or was
// started with one rank, so such a run needs no MPI runtime at all.
//
// A process that a launcher started as one of several ranks must call Init
// before any collective; a collective called before Init there returns
// ErrNotInitialized rather than silently training ranks apart, and Init in
// a build without the tag returns an error wrapping ErrNotBuilt.
//
// Every MPI call returns an *Error carrying MPI's own error string: the
// world communicator's error handler is MPI_ERRORS_RETURN, not the default
// MPI_ERRORS_ARE_FATAL that aborts the job. A rank that dies is a different
// matter: see TestRankKilled and docs/SCALING.md for what Open MPI 4.1
// does then.
//
// MPI is initialised with MPI_THREAD_SERIALIZED and every call holds one
// mutex, because a goroutine may move between OS threads between calls.
// Collectives are blocking and must be called by every rank in the same
// order with buffers of the same length.
package mpi
