package nn

import "github.com/anvil-ml/anvil/tensor"

// Synchronized batch normalization: in data-parallel training
// (FitOptions.Parallel) a BatchNormalization layer normally uses each
// replica's own batch statistics, as Keras's MirroredStrategy does. A
// synchronized one (Keras's BatchNormalization(synchronized=True), or
// every layer with FitOptions.SyncBatchNorm) uses the statistics of the
// whole global batch, and its backward pass the matching global sums, so N
// replicas of batch B train as one process of batch N·B does. The
// data-parallel program cuts TrainGrad at each such layer (splitSyncBN);
// the host sums over the replicas between the segments
// (syncbn_exchange.go). A single process is unaffected: it lowers plain
// batch normalization.

// WithSynchronized makes a BatchNormalization layer use the statistics of
// the global batch in data-parallel training (Keras's synchronized); it
// changes nothing in one process. Default off.
func WithSynchronized(on bool) Option {
	return opt("synchronized", func(c *config) error {
		c.synchronized = on
		return nil
	})
}

// bnSync selects the batch normalizations a data-parallel TrainGrad
// synchronizes.
type bnSync int

const (
	bnSyncLayers bnSync = iota // the layers built WithSynchronized
	bnSyncAll                  // every layer (FitOptions.SyncBatchNorm)
	bnSyncNone                 // none: one replica, where synchronized is plain batch normalization
)

// bnSyncFor is the bnSync of a data-parallel Fit over size replicas.
func bnSyncFor(all bool, size int) bnSync {
	switch {
	case size == 1:
		return bnSyncNone
	case all:
		return bnSyncAll
	}
	return bnSyncLayers
}

// syncBNLayers returns the moving-mean buffers of the batch-normalization
// layers sync selects.
func (m *Model) syncBNLayers(low *lowered, sync bnSync) map[tensor.BufferID]bool {
	set := map[tensor.BufferID]bool{}
	if sync == bnSyncNone {
		return set
	}
	for _, l := range m.Layers() {
		if bn, ok := l.(*batchNormLayer); ok && (sync == bnSyncAll || bn.cfg.synchronized) {
			set[low.vars[bn.movingMean]] = true
		}
	}
	return set
}

// splitSyncBN sets plan's TrainGrad to ops (Train's gradient half), cut at
// each batch normalization whose moving mean is in sync: its BatchNormTrain
// becomes BatchNormMoments | ExchangeBNMoments | BatchNormApply and its
// BatchNormBackward BatchNormBackSums | ExchangeBNGradSums |
// BatchNormBackApply, each | the start of a new segment. With sync empty
// TrainGrad is ops, unchanged. It returns the moving statistics of the
// layers it synchronized.
func splitSyncBN(plan *tensor.Plan, ops []tensor.Op, sync map[tensor.BufferID]bool) map[tensor.BufferID]bool {
	moving := map[tensor.BufferID]bool{}
	r := tensor.TrainGrad
	plan.Routines[r] = nil
	synced := map[tensor.BufferID]bool{} // the Mean buffers of synchronized layers
	for _, op := range ops {
		switch o := op.(type) {
		case tensor.BatchNormTrain:
			if sync[o.MovingMean] {
				r = splitBNForward(plan, r, o)
				synced[o.Mean] = true
				moving[o.MovingMean], moving[o.MovingVar] = true, true
				continue
			}
		case tensor.BatchNormBackward:
			if synced[o.Mean] {
				r = splitBNBackward(plan, r, o)
				continue
			}
		}
		plan.Emit(r, op)
	}
	return moving
}

// syncBuffer adds a per-channel state buffer named after the layer's
// saved mean.
func syncBuffer(plan *tensor.Plan, mean tensor.BufferID, name string, n int) tensor.BufferID {
	return plan.AddBuffer(plan.Buffers[mean].Name+"/sync_"+name, tensor.StateBuffer, false, tensor.Shape{n})
}

// splitBNForward emits o's synchronized form from segment r on and returns
// the segment it ends in.
func splitBNForward(plan *tensor.Plan, r tensor.Routine, o tensor.BatchNormTrain) tensor.Routine {
	moments := syncBuffer(plan, o.Mean, "moments", 2*o.C)
	batchVar := syncBuffer(plan, o.Mean, "batch_var", o.C)
	plan.Emit(r, tensor.BatchNormMoments{X: o.X, Moments: moments, Outer: o.Outer, C: o.C})
	r = plan.AddSegment(tensor.Exchange{Kind: tensor.ExchangeBNMoments, In: []tensor.BufferID{moments},
		Out: []tensor.BufferID{o.Mean, o.InvStd, batchVar}, Outer: o.Outer, C: o.C,
		Epsilon: o.Epsilon, UnbiasedMovingVar: o.UnbiasedMovingVar})
	plan.Emit(r, tensor.BatchNormApply{X: o.X, Gamma: o.Gamma, Beta: o.Beta, Mean: o.Mean, InvStd: o.InvStd,
		BatchVar: batchVar, MovingMean: o.MovingMean, MovingVar: o.MovingVar, Y: o.Y,
		Outer: o.Outer, C: o.C, Momentum: o.Momentum})
	return r
}

// splitBNBackward emits o's synchronized form from segment r on and
// returns the segment it ends in. DGamma and DBeta stay this replica's own
// sums: the gradient allreduce weighs them as every other gradient.
func splitBNBackward(plan *tensor.Plan, r tensor.Routine, o tensor.BatchNormBackward) tensor.Routine {
	sumDY := syncBuffer(plan, o.Mean, "sum_dy", o.C)
	sumDYXh := syncBuffer(plan, o.Mean, "sum_dy_xhat", o.C)
	plan.Emit(r, tensor.BatchNormBackSums{X: o.X, DY: o.DY, Mean: o.Mean, InvStd: o.InvStd,
		DGamma: o.DGamma, DBeta: o.DBeta, Outer: o.Outer, C: o.C})
	r = plan.AddSegment(tensor.Exchange{Kind: tensor.ExchangeBNGradSums, In: []tensor.BufferID{o.DBeta, o.DGamma},
		Out: []tensor.BufferID{sumDY, sumDYXh}, Outer: o.Outer, C: o.C})
	plan.Emit(r, tensor.BatchNormBackApply{X: o.X, DY: o.DY, Gamma: o.Gamma, Mean: o.Mean, InvStd: o.InvStd,
		SumDY: sumDY, SumDYXh: sumDYXh, DX: o.DX, Outer: o.Outer, C: o.C})
	return r
}

// copyState copies buffers ids from replica root to every replica.
func (p *parallelFit) copyState(ids []tensor.BufferID, root int) error {
	if len(ids) == 0 {
		return nil
	}
	buf, err := p.readAll(ids)
	if err != nil {
		return err
	}
	if err := p.comm.BcastFloat32(buf, root); err != nil {
		return err
	}
	return p.writeAll(ids, buf)
}
