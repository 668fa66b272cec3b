package selftest

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/anvil-ml/anvil/tensor"
)

// mixedFamilies: the mixed-precision ops. Cast rounds bit by bit on both
// backends (exact); the float16 MatMul sums the same binary16 values in
// float32 in another order (SumTol); the loss-scaling ops scale by powers
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
	a := c.buf("A", tensor.ActivationBuffer, true, m*k)
	b := c.buf("B", tensor.ParamBuffer, false, k*nn)
	a16, b16 := c.buf("A16", tensor.ActivationBuffer, true, m*k), c.buf("B16", tensor.ActivationBuffer, false, k*nn)
	c.plan.Buffers[a16].DType, c.plan.Buffers[b16].DType = tensor.Float16, tensor.Float16
	c.emit("Cast A to float16", tensor.Cast{X: a, Y: a16, Size: m * k, Batched: true}, nil)
	c.emit("Cast B to float16", tensor.Cast{X: b, Y: b16, Size: k * nn}, nil)
	desc := fmt.Sprintf("MatMul float16 %dx%dx%d", m, nn, k)
	c.emit(desc, tensor.MatMul{A: a16, B: b16, C: c.buf("C", tensor.ActivationBuffer, true, m*nn), M: m, N: nn, K: k, Batch: tensor.BatchM},
		fixed(SumTol(k)))
	return []*opCase{c}
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
