package nn

import (
	"context"
	"fmt"
	"time"

	"github.com/anvil-ml/anvil/tensor"
)

// Parallel is the communicator of data-parallel training: this process is
// replica Rank of Size, each holding a full copy of the model. Package mpi
// provides one over MPI (cmd/train adapts it); nn needs no cgo, and tests
// use an in-process one. Every replica must make the same calls in the
// same order with buffers of the same length.
type Parallel interface {
	Rank() int
	Size() int
	// AllreduceSumFloat32 and AllreduceSumFloat64 replace buf on every
	// replica with the elementwise sum over all replicas; the result must
	// be the same on every replica.
	AllreduceSumFloat32(buf []float32) error
	AllreduceSumFloat64(buf []float64) error
	// BcastFloat32 copies root's buf into buf on every other replica.
	BcastFloat32(buf []float32, root int) error
}

// parallelFit is the state of one replica's data-parallel Fit.
type parallelFit struct {
	m         *Model
	hold      *fitHold // the program and the feeders of the data
	r         *runner
	comm      Parallel
	rank, n   int
	grads     []tensor.BufferID // every trainable variable's gradient, in Variables order
	arena     []float32         // the gradients, then the stop flag
	gradElems int
}

// fitParallel is Fit as replica comm.Rank() of comm.Size(). Each global
// batch of o.BatchSize rows of the epoch's order is split into contiguous
// slices, one per replica; the replicas sum their scaled gradients before
// every update, so N replicas take the steps one process would take with
// the same global batch, up to the order of float32 additions (and batch
// normalisation, which uses each replica's own batch statistics). Every
// replica holds the whole training set (its slices are sample-order
// windows, StepArgs.Start, of the global batch) and evaluates the whole
// validation set. Only replica 0 reports progress; every replica gets the
// same logs and calls OnEpochEnd.
func (m *Model) fitParallel(ctx context.Context, train *checkedData, o FitOptions) (*History, error) {
	comm := o.Parallel
	size, rank := comm.Size(), comm.Rank()
	if size < 1 || rank < 0 || rank >= size {
		return nil, fmt.Errorf("fit %q: data-parallel rank %d of %d replicas is out of range", m.name, rank, size)
	}
	if len(o.Callbacks) > 0 {
		return nil, fmt.Errorf("fit %q: FitOptions.Callbacks are not supported in data-parallel training (FitOptions.Parallel): use OnEpochEnd, or train in one process", m.name)
	}
	if rank != 0 {
		o.Verbose, o.OnProgress = Silent, nil
	}
	val, err := m.validationData(&o)
	if err != nil {
		return nil, err
	}
	hold, err := m.newFitHoldFor(train, val, o.BatchSize, true, bnSyncFor(o.SyncBatchNorm, size))
	if err != nil {
		return nil, err
	}
	defer hold.close()
	p := &parallelFit{m: m, hold: hold, comm: comm, rank: rank, n: size}
	p.layout()
	if err := p.checkSamePrecision(); err != nil {
		return nil, fmt.Errorf("fit %q: %w", m.name, err)
	}
	if err := p.broadcastState(); err != nil {
		return nil, fmt.Errorf("fit %q: broadcasting the initial weights from replica 0: %w", m.name, err)
	}
	h := newHistory()
	for epoch := o.InitialEpoch; epoch < o.Epochs; epoch++ {
		// OnEpochEnd may have used the model's backend and displaced the data.
		if again, err := hold.refresh(); err != nil {
			return h, err
		} else if again {
			p.layout()
		}
		logs, secs, err := p.epoch(ctx, epoch, &o)
		o.InitialStep, o.InitialSums = 0, nil
		if err != nil {
			return h, err
		}
		h.add(epoch, logs, secs)
		if o.OnEpochEnd != nil {
			if err := o.OnEpochEnd(EpochEnd{Epoch: epoch, Logs: logs, Seconds: secs}); err != nil {
				return h, fmt.Errorf("fit %q: after epoch %d: %w", m.name, epoch+1, err)
			}
		}
	}
	return h, nil
}

// layout fixes the order of the gradients in the allreduce arena: model
// order, the same on every replica (never map order).
func (p *parallelFit) layout() {
	p.r, p.grads, p.gradElems = p.hold.r, nil, 0
	for _, v := range p.m.Variables() {
		if v.Trainable {
			id := p.r.low.grads[v]
			p.grads = append(p.grads, id)
			p.gradElems += p.r.low.plan.Elems(id)
		}
	}
	p.arena = make([]float32, p.gradElems+1)
}

// stateBuffers lists the weights, then the optimizer slots, in model order,
// then the loss scale under mixed precision.
func (p *parallelFit) stateBuffers() []tensor.BufferID {
	var ids []tensor.BufferID
	vars := p.m.Variables()
	for _, v := range vars {
		ids = append(ids, p.r.low.vars[v])
	}
	for _, v := range vars {
		ids = append(ids, p.r.low.slots[v]...)
	}
	if id := p.r.low.lossScale.scale; id != tensor.NoBuffer {
		ids = append(ids, id) // mixed precision: the loss scale, as replica 0 resumed it
	}
	return ids
}

// broadcastState copies replica 0's weights and optimizer slots to every
// replica (they start equal from the same seed, but only replica 0 may
// have read a checkpoint), and its optimizer step count.
func (p *parallelFit) broadcastState() error {
	ids := p.stateBuffers()
	buf, err := p.readAll(ids)
	if err != nil {
		return err
	}
	step := p.m.compiled.step
	buf = append(buf, float32(step>>32), float32(step&0xffff_ffff>>16), float32(step&0xffff))
	if err := p.comm.BcastFloat32(buf, 0); err != nil {
		return err
	}
	k := len(buf) - 3
	p.m.compiled.step = uint64(buf[k])<<32 | uint64(buf[k+1])<<16 | uint64(buf[k+2])
	return p.writeAll(ids, buf[:k])
}

// readAll reads buffers ids into one array, in order.
func (p *parallelFit) readAll(ids []tensor.BufferID) ([]float32, error) {
	var out []float32
	for _, id := range ids {
		part := make([]float32, p.r.low.plan.Elems(id))
		if err := p.r.prog.Read(id, part); err != nil {
			return nil, err
		}
		out = append(out, part...)
	}
	return out, nil
}

// writeAll writes buf back to buffers ids, in order.
func (p *parallelFit) writeAll(ids []tensor.BufferID, buf []float32) error {
	off := 0
	for _, id := range ids {
		k := p.r.low.plan.Elems(id)
		if err := p.r.prog.Write(id, buf[off:off+k]); err != nil {
			return err
		}
		off += k
	}
	return nil
}

// slice is replica rank's part [lo', hi') of the global rows [lo, hi).
func slice(lo, hi, rank, size int) (int, int) {
	return lo + (hi-lo)*rank/size, lo + (hi-lo)*(rank+1)/size
}

// epoch runs one epoch of data-parallel steps and returns the global logs.
func (p *parallelFit) epoch(ctx context.Context, epoch int, o *FitOptions) (map[string]float64, float64, error) {
	m, r, f := p.m, p.r, p.hold.f
	start := time.Now()
	n := f.data.n
	steps := (n + o.BatchSize - 1) / o.BatchSize
	if o.verbosity() > 0 {
		fmt.Fprintf(o.Out, "Epoch %d/%d\n", epoch+1, o.Epochs)
	}
	bar := newProgressBar(o.Out, steps, o.verbosity())
	order := epochOrder(n, o.Seed, epoch, !o.NoShuffle)
	if err := f.setOrder(order); err != nil {
		return nil, 0, fmt.Errorf("fit %q: %w", m.name, err)
	}
	initial := o.InitialSums
	if p.rank != 0 {
		initial = nil // the resumed sums are global: count them once
	}
	if err := r.setSums(initial); err != nil {
		return nil, 0, err
	}
	names := m.MetricNames()
	live := newProgressReporter(o, epoch, steps)
	// ownRows counts the rows behind this replica's accumulators, for its
	// progress numbers: replica 0's start with the resumed global sums.
	ownRows := 0
	if p.rank == 0 {
		ownRows = min(o.InitialStep*o.BatchSize, n)
	}
	for s := o.InitialStep; s < steps; s++ {
		// first is where global batch s begins in the resident order (or in
		// its streamed chunk, which holds whole batches: see placement).
		first, _, err := f.window(s, steps)
		if err != nil {
			return nil, 0, fmt.Errorf("fit %q: %w", m.name, err)
		}
		lo, hi := s*o.BatchSize, min((s+1)*o.BatchSize, n)
		stop, err := p.step(ctx, first, lo, hi, o.Seed)
		if err != nil {
			return nil, 0, fmt.Errorf("fit %q: step %d: %w", m.name, s+1, err)
		}
		rlo, rhi := slice(lo, hi, p.rank, p.n)
		ownRows += rhi - rlo
		if stop {
			return nil, 0, p.interrupted(epoch, s+1, steps, ctx.Err())
		}
		if bar.wantsUpdate(s+1) && ownRows > 0 {
			vals, err := m.means(r, ownRows)
			if err != nil {
				return nil, 0, err
			}
			bar.update(s+1, names, vals)
		}
		if live.due(s + 1) {
			if err := live.report(m, r, s+1, max(ownRows, 1)); err != nil {
				return nil, 0, fmt.Errorf("fit %q: progress callback: %w", m.name, err)
			}
		}
	}
	sums, err := p.globalSums()
	if err != nil {
		return nil, 0, err
	}
	vals := m.compiled.values(sums, n) // confusion counts add up over replicas as sums do
	if err := m.checkLoss(vals[0], epoch, steps, steps); err != nil {
		return nil, 0, err
	}
	if err := p.averageState(); err != nil {
		return nil, 0, fmt.Errorf("fit %q: averaging the moving statistics: %w", m.name, err)
	}
	// Every replica has the same weights now: each evaluates all of the
	// validation set.
	logs, err := m.endEpoch(r, p.hold.vf, names, vals, o.BatchSize, bar)
	if err != nil {
		return nil, 0, err
	}
	return logs, time.Since(start).Seconds(), nil
}
