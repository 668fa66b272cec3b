package selftest

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/anvil-ml/anvil/tensor"
)

// mixedFamilies: the mixed-precision ops. Cast rounds bit by bit on both
// backends (exact); the float16 products (MatMul and the three
// convolutions) sum the same binary16 values in float32 in another order
// (SumTol); the loss-scaling ops scale by powers
// of two, copy or select, so they match exactly, over three steps of which
// the first has a gradient that is not finite.
func mixedFamilies() []family {
	return []family{
		{name: "matmul-f16", build: castCases},
		{name: "loss-scale", build: lossScaleCases},
	}
}

func castCases(r *rand.Rand) []*opCase {
	batch, rows := batchRows(r)
	c := newCase(batch, rows...)
	c.name = "matmul-f16"
	n := between(r, 1, 300)
	x := c.buf("cast X", tensor.ActivationBuffer, true, n)
	c.emit(fmt.Sprintf("Cast %d to float32", n), tensor.Cast{X: x, Y: c.buf("cast Y", tensor.ActivationBuffer, true, n), Size: n, Batched: true}, nil)
	m, nn, k := between(r, 1, 40), between(r, 1, 40), between(r, 1, 60)
	c.emit(fmt.Sprintf("MatMul %dx%dx%d", m, nn, k), tensor.MatMul{A: c.buf("A", tensor.ActivationBuffer, true, m*k),
		B: c.buf("B", tensor.ParamBuffer, false, k*nn), C: c.buf("C", tensor.ActivationBuffer, true, m*nn), M: m, N: nn, K: k,
		Batch: tensor.BatchM}, fixed(SumTol(k)))
	gs := convGeoms(r, true)
	g := gs[r.IntN(len(gs))]
	for i, op := range []convOp{convForward, convData, convFilter} {
		op(c, g, fmt.Sprintf("conv%d %s ", i, geomName(g)))
	}
	halveProducts(c)
	return []*opCase{c}
}

// halveProducts makes every product of c read binary16 operands: a Cast of
// each operand into a Float16 buffer before it, as nn's mixed precision
// lowers them.
func halveProducts(c *opCase) {
	p := c.plan
	var ops []tensor.Op
	cast := func(id tensor.BufferID) tensor.BufferID {
		src := p.Buffers[id]
		h := p.AddBuffer(src.Name+" f16", tensor.ActivationBuffer, src.Batched, src.Shape)
		p.Buffers[h].DType = tensor.Float16
		ops = append(ops, tensor.Cast{X: id, Y: h, Size: src.Shape.Size(), Batched: src.Batched})
		return h
	}
	for _, op := range p.Routines[c.routine] {
		switch o := op.(type) {
		case tensor.MatMul:
			o.A, o.B = cast(o.A), cast(o.B)
			op = o
		case tensor.Conv2D:
			o.X, o.W = cast(o.X), cast(o.W)
			op = o
		case tensor.Conv2DBackwardData:
			o.DY, o.W = cast(o.DY), cast(o.W)
			op = o
		case tensor.Conv2DBackwardFilter:
			o.X, o.DY = cast(o.X), cast(o.DY)
			op = o
		}
		ops = append(ops, op)
	}
	p.Routines[c.routine] = ops
}

func lossScaleCases(r *rand.Rand) []*opCase {
	batch, rows := batchRows(r)
	c := newCase(batch, rows...)
	c.name = "loss-scale"
	c.steps = 3
	n, w := between(r, 1, 500), between(r, 1, 20)
	ls, found := c.buf("loss scale", tensor.StateBuffer, false, tensor.LossScaleSize), c.buf("found", tensor.StateBuffer, false, 1)
	c.init[ls], c.init[found] = []float32{1024, 0}, []float32{0}
	dl := c.buf("dloss", tensor.GradientBuffer, true, w)
	g := c.buf("grad", tensor.GradientBuffer, false, n)
	param, backup := c.buf("param", tensor.ParamBuffer, false, n), c.buf("backup", tensor.ActivationBuffer, false, n)
	c.emit(fmt.Sprintf("ApplyLossScale %d", w), tensor.ApplyLossScale{X: dl, LossScale: ls, Size: w, Batched: true}, nil)
	c.emit(fmt.Sprintf("UnscaleGrad %d", n), tensor.UnscaleGrad{Grad: g, LossScale: ls, Found: found, Size: n}, nil)
	c.emit("CopyBuffer", tensor.CopyBuffer{X: param, Y: backup, Size: n}, nil)
	c.emit("update (Add)", tensor.Add{A: param, B: g, Y: param, Size: n, Unbatched: true}, nil)
	c.emit("RevertIfFound", tensor.RevertIfFound{Backup: backup, Y: param, Found: found, Size: n}, nil)
	c.emit("UpdateLossScale growth 2", tensor.UpdateLossScale{LossScale: ls, Found: found, GrowthSteps: 2}, nil)
	// The gradients are drawn now: perStep runs once per backend.
	grads := make([][]float32, c.steps)
	for step := range grads {
		grads[step] = make([]float32, n)
		for i := range grads[step] {
			grads[step][i] = float32(r.Float64()*2-1) * 100
		}
	}
	grads[0][r.IntN(n)] = float32(math.Inf(1)) // a skipped step: the scale halves, param stays
	c.perStep = func(step int) map[tensor.BufferID][]float32 { return map[tensor.BufferID][]float32{g: grads[step]} }
	return []*opCase{c}
}
