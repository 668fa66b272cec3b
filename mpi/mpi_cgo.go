//go:build mpi && cgo

package mpi

/*
#cgo pkg-config: ompi-c
#include <mpi.h>
#include <stdlib.h>

// Open MPI's handles are macros over addresses of globals, which cgo cannot
// name, so small helpers return them.
static MPI_Datatype anvil_type(int t) {
	switch (t) {
	case 0: return MPI_FLOAT;
	case 1: return MPI_DOUBLE;
	default: return MPI_BYTE;
	}
}

static int anvil_init(int *provided) {
	int err = MPI_Init_thread(NULL, NULL, MPI_THREAD_SERIALIZED, provided);
	if (err != MPI_SUCCESS) return err;
	return MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
}

static int anvil_serialized(void) { return MPI_THREAD_SERIALIZED; }

static int anvil_rank(int *rank) { return MPI_Comm_rank(MPI_COMM_WORLD, rank); }
static int anvil_size(int *size) { return MPI_Comm_size(MPI_COMM_WORLD, size); }

// anvil_local_rank splits the world by shared-memory node and returns this
// process's rank in its node's part.
static int anvil_local_rank(int *rank) {
	MPI_Comm node;
	int err = MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, 0, MPI_INFO_NULL, &node);
	if (err != MPI_SUCCESS) return err;
	err = MPI_Comm_rank(node, rank);
	MPI_Comm_free(&node);
	return err;
}

static int anvil_allreduce_sum(void *buf, int count, int t) {
	return MPI_Allreduce(MPI_IN_PLACE, buf, count, anvil_type(t), MPI_SUM, MPI_COMM_WORLD);
}

static int anvil_bcast(void *buf, int count, int t, int root) {
	return MPI_Bcast(buf, count, anvil_type(t), root, MPI_COMM_WORLD);
}

static int anvil_barrier(void) { return MPI_Barrier(MPI_COMM_WORLD); }

static int anvil_error_string(int code, char *buf, int *len, int *class) {
	MPI_Error_class(code, class);
	return MPI_Error_string(code, buf, len);
}

static int anvil_max_error_string(void) { return MPI_MAX_ERROR_STRING; }
*/
import "C"

import (
	"fmt"
	"unsafe"
)

// check turns an MPI return code into nil or an *Error with MPI's string.
func check(op string, code C.int) error {
	if code == 0 { // MPI_SUCCESS is 0 by the standard
		return nil
	}
	buf := make([]byte, int(C.anvil_max_error_string()))
	var n, class C.int
	msg := fmt.Sprintf("unknown MPI error %d", int(code))
	if C.anvil_error_string(code, (*C.char)(unsafe.Pointer(&buf[0])), &n, &class) == 0 {
		msg = string(buf[:int(n)])
	}
	return &Error{Op: op, Rank: world.rank, Code: int(code), Class: int(class), Msg: msg}
}

// initMPI initialises MPI with MPI_ERRORS_RETURN on the world communicator
// and fills in world. The caller holds world.mu.
func initMPI() error {
	var provided C.int
	if err := check("MPI_Init_thread", C.anvil_init(&provided)); err != nil {
		return err
	}
	if provided < C.anvil_serialized() {
		return fmt.Errorf("mpi: the MPI library provides thread level %d, below MPI_THREAD_SERIALIZED (%d) which Go's threads need: use an MPI built with thread support", int(provided), int(C.anvil_serialized()))
	}
	var rank, size, local C.int
	if err := check("MPI_Comm_rank", C.anvil_rank(&rank)); err != nil {
		return err
	}
	if err := check("MPI_Comm_size", C.anvil_size(&size)); err != nil {
		return err
	}
	if err := check("MPI_Comm_split_type", C.anvil_local_rank(&local)); err != nil {
		return err
	}
	world.rank, world.size, world.localRank = int(rank), int(size), int(local)
	return nil
}

// finalizeMPI calls MPI_Finalize. The caller holds world.mu.
func finalizeMPI() error {
	return check("MPI_Finalize", C.MPI_Finalize())
}

func allreduceSum(p unsafe.Pointer, count int, t dtype) error {
	return check("MPI_Allreduce", C.anvil_allreduce_sum(p, C.int(count), C.int(t)))
}

func bcast(p unsafe.Pointer, count int, t dtype, root int) error {
	return check("MPI_Bcast", C.anvil_bcast(p, C.int(count), C.int(t), C.int(root)))
}

func barrier() error {
	return check("MPI_Barrier", C.anvil_barrier())
}
