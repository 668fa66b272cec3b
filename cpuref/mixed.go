package cpuref

import (
	"math"

	"github.com/anvil-ml/anvil/tensor"
)

// The mixed-precision family (tensor/ops_mixed.go). Float16 buffers live
// here as float32 holding values rounded to binary16, so Cast emulates the
// storage exactly and every other kernel reads them as it reads float32.
// Loss scaling runs on flags in buffers, as the Vulkan backend does.

type cast struct {
	x, y    []float32
	size    int
	batched bool
	total   int
	fn      func(int)
}

func (p *program) bindCast(o tensor.Cast) (kernel, error) {
	bs, err := p.need(idRole{o.X, "X"}, idRole{o.Y, "Y"})
	if err != nil {
		return nil, err
	}
	k := &cast{x: bs[0], y: bs[1], size: o.Size, batched: o.Batched}
	k.fn = k.chunk
	return k, nil
}

func (k *cast) run(a *tensor.StepArgs) {
	k.total = k.size
	if k.batched {
		k.total = a.Rows * k.size
	}
	parallelFor(numChunks(k.total, elemChunk), k.fn)
}

func (k *cast) chunk(i int) {
	lo, hi := chunkBounds(i, k.total, elemChunk)
	tensor.RoundFloat16Slice(k.y[lo:hi], k.x[lo:hi])
}

type applyLossScale struct {
	x, scale []float32
	size     int
	batched  bool
}

func (p *program) bindApplyLossScale(o tensor.ApplyLossScale) (kernel, error) {
	bs, err := p.need(idRole{o.X, "X"}, idRole{o.LossScale, "LossScale"})
	if err != nil {
		return nil, err
	}
	return &applyLossScale{x: bs[0], scale: bs[1], size: o.Size, batched: o.Batched}, nil
}

func (k *applyLossScale) run(a *tensor.StepArgs) {
	n := k.size
	if k.batched {
		n = a.Rows * k.size
	}
	s := k.scale[0]
	for i := range k.x[:n] {
		k.x[i] *= s
	}
}

type unscaleGrad struct{ grad, scale, found []float32 }

func (p *program) bindUnscaleGrad(o tensor.UnscaleGrad) (kernel, error) {
	bs, err := p.need(idRole{o.Grad, "Grad"}, idRole{o.LossScale, "LossScale"}, idRole{o.Found, "Found"})
	if err != nil {
		return nil, err
	}
	return &unscaleGrad{grad: bs[0][:o.Size], scale: bs[1], found: bs[2]}, nil
}

func (k *unscaleGrad) run(*tensor.StepArgs) {
	s := k.scale[0]
	bad := false
	for i, g := range k.grad {
		g /= s
		k.grad[i] = g
		// A non-finite value stays non-finite when divided by a finite
		// scale, so checking after the division is the same test.
		bad = bad || math.IsInf(float64(g), 0) || g != g
	}
	if bad {
		k.found[0] = 1
	}
}

type copyBuffer struct{ x, y []float32 }

func (p *program) bindCopyBuffer(o tensor.CopyBuffer) (kernel, error) {
	bs, err := p.need(idRole{o.X, "X"}, idRole{o.Y, "Y"})
	if err != nil {
		return nil, err
	}
	return &copyBuffer{x: bs[0][:o.Size], y: bs[1][:o.Size]}, nil
}

func (k *copyBuffer) run(*tensor.StepArgs) { copy(k.y, k.x) }

type revertIfFound struct{ backup, y, found []float32 }

func (p *program) bindRevertIfFound(o tensor.RevertIfFound) (kernel, error) {
	bs, err := p.need(idRole{o.Backup, "Backup"}, idRole{o.Y, "Y"}, idRole{o.Found, "Found"})
	if err != nil {
		return nil, err
	}
	return &revertIfFound{backup: bs[0][:o.Size], y: bs[1][:o.Size], found: bs[2]}, nil
}

func (k *revertIfFound) run(*tensor.StepArgs) {
	if k.found[0] != 0 {
		copy(k.y, k.backup)
	}
}

type updateLossScale struct {
	scale, found []float32
	growth       float32
}

func (p *program) bindUpdateLossScale(o tensor.UpdateLossScale) (kernel, error) {
	bs, err := p.need(idRole{o.LossScale, "LossScale"}, idRole{o.Found, "Found"})
	if err != nil {
		return nil, err
	}
	return &updateLossScale{scale: bs[0], found: bs[1], growth: float32(o.GrowthSteps)}, nil
}

func (k *updateLossScale) run(*tensor.StepArgs) {
	k.scale[0], k.scale[1] = tensor.NextLossScale(k.scale[0], k.scale[1], k.found[0] != 0, k.growth)
	k.found[0] = 0
}

// emulatedHalfBytes is what Float16 buffers take here beyond the two bytes
// a value that Plan.Bytes counts: they are stored as float32.
func emulatedHalfBytes(plan *tensor.Plan) int64 {
	var n int64
	for i, b := range plan.Buffers {
		if b.DType == tensor.Float16 {
			n += 2 * int64(plan.Elems(tensor.BufferID(i)))
		}
	}
	return n
}
