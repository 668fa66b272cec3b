package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strconv"
	"syscall"

	"github.com/anvil-ml/anvil/mpi"
	"github.com/anvil-ml/anvil/nn"
)

// Data-parallel training: built with -tags mpi and started by mpirun, each
// process is one replica. Replica 0 (the leader) does everything a lone
// run does; the others train silently: they never touch -out (no lock, no
// checkpoints, no outputs), read a -resume checkpoint only after the
// leader has opened it, and print only their own errors. See
// docs/SCALING.md.

// replicas is this process's place among the replicas: rank 0 of 1 when
// it runs alone (the default, and every test that calls run directly).
var replicas = struct {
	rank, size int
	comm       nn.Parallel // nil when alone
}{rank: 0, size: 1}

// leader reports whether this process writes the run's outputs.
func leader() bool { return replicas.rank == 0 }

// mpiComm is nn.Parallel over package mpi's world communicator.
type mpiComm struct{}

func (mpiComm) Rank() int                                  { return mpi.Rank() }
func (mpiComm) Size() int                                  { return mpi.Size() }
func (mpiComm) AllreduceSumFloat32(buf []float32) error    { return mpi.AllreduceSumFloat32(buf) }
func (mpiComm) AllreduceSumFloat64(buf []float64) error    { return mpi.AllreduceSumFloat64(buf) }
func (mpiComm) BcastFloat32(buf []float32, root int) error { return mpi.BcastFloat32(buf, root) }

// startReplicas initialises MPI when a launcher started several ranks and
// returns the writers run should use: the real ones on the leader, and
// io.Discard for a replica's progress and logs.
func startReplicas(stdout, stderr io.Writer) (io.Writer, io.Writer, error) {
	if err := mpi.Init(); err != nil {
		return nil, nil, err
	}
	replicas.rank, replicas.size = mpi.Rank(), mpi.Size()
	if replicas.size == 1 {
		return stdout, stderr, nil
	}
	replicas.comm = mpiComm{}
	watchTermination()
	if !leader() {
		return io.Discard, io.Discard, nil
	}
	fmt.Fprintf(stderr, "data-parallel: %d replicas (this is rank 0; each takes 1/%d of every batch)\n", replicas.size, replicas.size)
	return stdout, stderr, nil
}

// watchTermination says why a replica is being stopped: when one rank
// dies, Open MPI's survivors stay blocked in the gradient allreduce until
// mpirun terminates them, so they cannot return an error of their own.
func watchTermination() {
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM)
	go func() {
		s := <-sig
		fmt.Fprintf(os.Stderr, "train: rank %d of %d: received %v; if another rank failed, mpirun names it "+
			"(the leader's last checkpoint stays intact: continue with -resume DIR and the same number of ranks)\n",
			replicas.rank, replicas.size, s)
	}()
}

// finishReplicas ends MPI after run returned err: Finalize after success;
// after a failure the error names the rank, and main exits non-zero, which
// makes mpirun stop every other rank (a rank must not wait in a collective
// its peers will never join).
func finishReplicas(err error) error {
	if replicas.size == 1 {
		if ferr := mpi.Finalize(); err == nil {
			err = ferr
		}
		return err
	}
	var stop *nn.Interrupted
	if errors.As(err, &stop) {
		// Every rank stopped after the same step (nn's stop flag): end
		// MPI together, so that the leader's exit status is the only
		// complaint and its checkpoint is written before anyone exits.
		mpi.Finalize()
		if !leader() {
			return nil
		}
	}
	if err != nil {
		return fmt.Errorf("rank %d of %d: %w", replicas.rank, replicas.size, err)
	}
	if err := mpi.Finalize(); err != nil {
		return fmt.Errorf("rank %d of %d: %w", replicas.rank, replicas.size, err)
	}
	return nil
}

// replicaOptions adjusts a replica's options once the leader has opened
// -out: only the leader writes there, and with -backend vulkan each rank
// on a node takes the device of its local rank unless -device or
// $ANVIL_DEVICE names one. (-backend auto is left to pick the best device
// on every rank: naming a device would also admit a CPU Vulkan driver that
// auto refuses.)
func replicaOptions(o *options) {
	if replicas.size == 1 {
		return
	}
	if !leader() {
		o.out = ""
	}
	if o.device == "" && os.Getenv("ANVIL_DEVICE") == "" && o.backend == "vulkan" {
		o.device = strconv.Itoa(mpi.LocalRank())
	}
}

// afterLeaderOpened is where every replica waits until the leader holds
// -out and has cleaned up what an interrupted run left, so that the others
// read a -resume checkpoint only when it is whole. A replica reads the run
// ID the leader read, without locking.
func afterLeaderOpened(o *options) error {
	if replicas.size == 1 {
		return nil
	}
	if err := mpi.Barrier(); err != nil {
		return fmt.Errorf("waiting for rank 0 to open %s: %w", o.out, err)
	}
	if leader() || o.resume == "" {
		return nil
	}
	id, err := readRunID(o.resume)
	o.runID = id
	return err
}
