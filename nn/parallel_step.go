package nn

import (
	"context"
	"fmt"

	"github.com/anvil-ml/anvil/tensor"
)

// step runs global step rows [lo, hi) on this replica, the global batch
// beginning at first in the sample order: its slice through TrainGrad, one allreduce of the scaled gradients (and of a stop flag, so
// that every replica stops after the same step when any was cancelled),
// then TrainApply. It reports whether training must stop.
func (p *parallelFit) step(ctx context.Context, first, lo, hi int, seed uint64) (bool, error) {
	m, r := p.m, p.r
	rlo, rhi := slice(lo, hi, p.rank, p.n)
	m.compiled.step++
	args := tensor.StepArgs{Rows: rhi - rlo, Step: m.compiled.step, LearningRate: stepRate(m.compiled.opt, m.compiled.step-1),
		Seed: seed, Start: first + rlo - lo, RowOffset: rlo - lo}
	if err := p.gradients(args, lo, hi); err != nil {
		return false, err
	}
	p.arena[p.gradElems] = 0
	if ctx.Err() != nil {
		p.arena[p.gradElems] = 1
	}
	if err := p.comm.AllreduceSumFloat32(p.arena); err != nil {
		return false, fmt.Errorf("summing the gradients of %d replicas: %w", p.n, err)
	}
	if err := p.writeAll(p.grads, p.arena[:p.gradElems]); err != nil {
		return false, err
	}
	args.Rows = max(args.Rows, 1) // the updates read no batch rows
	if err := r.prog.Run(tensor.TrainApply, args); err != nil {
		return false, err
	}
	return p.arena[p.gradElems] > 0, nil
}

// gradients fills the arena with this replica's gradients over the rows
// args selects of the global batch [lo, hi), scaled by its share of the
// global batch: each replica's loss gradient is a mean over its own rows,
// so the sum of the scaled gradients is the mean over the global batch. A
// replica with no rows (a tiny last batch) contributes zeros.
func (p *parallelFit) gradients(args tensor.StepArgs, lo, hi int) error {
	r := p.r
	scale := float32(args.Rows) / float32(hi-lo)
	if id := r.low.lossScale.share; id != tensor.NoBuffer && args.Rows > 0 {
		// Mixed precision: the device scales (mixed_parallel.go).
		if err := r.prog.Write(id, []float32{scale}); err != nil {
			return err
		}
		scale = 1
	}
	if err := p.gradSegments(args, lo, hi); err != nil {
		return err
	}
	if args.Rows == 0 {
		clear(p.arena[:p.gradElems])
		return nil
	}
	off := 0
	for _, id := range p.grads {
		part := p.arena[off : off+r.low.plan.Elems(id)]
		if err := r.prog.Read(id, part); err != nil {
			return err
		}
		if scale != 1 {
			for i := range part {
				part[i] *= scale
			}
		}
		off += len(part)
	}
	return nil
}

// globalSums is the loss and metric sums over every replica.
func (p *parallelFit) globalSums() ([]float64, error) {
	sums, err := p.r.sums()
	if err != nil {
		return nil, err
	}
	if err := p.comm.AllreduceSumFloat64(sums); err != nil {
		return nil, fmt.Errorf("summing the loss and metrics of %d replicas: %w", p.n, err)
	}
	return sums, nil
}

// interrupted is Interrupted after step steps done, with the global sums;
// every replica returns it after the same step.
func (p *parallelFit) interrupted(epoch, step, steps int, cause error) error {
	if cause == nil {
		cause = context.Canceled // another replica was cancelled
	}
	sums, err := p.globalSums()
	if err != nil {
		return err
	}
	return fmt.Errorf("fit %q: %w", p.m.name, &Interrupted{Epoch: epoch, Step: step, Steps: steps, Sums: sums, Cause: cause})
}

// averageState averages the non-trainable variables (batch normalisation's
// moving statistics, which each replica updates from its own batches) over
// the replicas, so validation and the saved model agree on every replica.
// Synchronized layers' moving statistics are the same on every replica
// that had rows in every step, as the last always has: they are copied
// from it (a replica without rows in a tiny last batch skipped their
// update).
func (p *parallelFit) averageState() error {
	var ids, synced []tensor.BufferID
	for _, v := range p.m.Variables() {
		if id := p.r.low.vars[v]; p.r.syncedState[id] {
			synced = append(synced, id)
		} else if !v.Trainable {
			ids = append(ids, id)
		}
	}
	if err := p.copyState(synced, p.n-1); err != nil {
		return err
	}
	if len(ids) == 0 {
		return nil
	}
	buf, err := p.readAll(ids)
	if err != nil {
		return err
	}
	if err := p.comm.AllreduceSumFloat32(buf); err != nil {
		return err
	}
	for i := range buf {
		buf[i] /= float32(p.n)
	}
	return p.writeAll(ids, buf)
}
