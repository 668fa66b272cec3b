package main

import "github.com/anvil-ml/anvil/tensor"

// The one-op plans of the kernel section. Buffers get the kinds the model
// planner gives them (weights are params, activations and gradients are
// transient), so a backend places them where a real step would. Every op
// goes into the Train routine.

// squarePlan: C[n×n] = A·B.
func squarePlan(n int) *tensor.Plan {
	p := tensor.NewPlan(1)
	a := p.AddBuffer("a", tensor.ActivationBuffer, false, tensor.Shape{n, n})
	b := p.AddBuffer("b", tensor.ParamBuffer, false, tensor.Shape{n, n})
	c := p.AddBuffer("c", tensor.ActivationBuffer, false, tensor.Shape{n, n})
	p.Emit(tensor.Train, tensor.MatMul{A: a, B: b, C: c, M: n, N: n, K: n})
	return p
}

// denseFwdPlan: Y[b×out] = X[b×in]·W[in×out], as Dense's forward.
func denseFwdPlan(batch, in, out int) *tensor.Plan {
	p := tensor.NewPlan(batch)
	x := p.AddBuffer("x", tensor.ActivationBuffer, true, tensor.Shape{in})
	w := p.AddBuffer("w", tensor.ParamBuffer, false, tensor.Shape{in, out})
	y := p.AddBuffer("y", tensor.ActivationBuffer, true, tensor.Shape{out})
	p.Emit(tensor.Train, tensor.MatMul{A: x, B: w, C: y, M: 1, N: out, K: in, Batch: tensor.BatchM})
	return p
}

// denseFilterPlan: dW[in×out] = Xᵀ·dY, summed over the batch.
func denseFilterPlan(batch, in, out int) *tensor.Plan {
	p := tensor.NewPlan(batch)
	x := p.AddBuffer("x", tensor.ActivationBuffer, true, tensor.Shape{in})
	dy := p.AddBuffer("dy", tensor.GradientBuffer, true, tensor.Shape{out})
	dw := p.AddBuffer("dw", tensor.GradientBuffer, false, tensor.Shape{in, out})
	p.Emit(tensor.Train, tensor.MatMul{A: x, B: dy, C: dw, M: in, N: out, K: 1, TransA: true, Batch: tensor.BatchK})
	return p
}

// denseDataPlan: dX[b×in] = dY·Wᵀ.
func denseDataPlan(batch, in, out int) *tensor.Plan {
	p := tensor.NewPlan(batch)
	dy := p.AddBuffer("dy", tensor.GradientBuffer, true, tensor.Shape{out})
	w := p.AddBuffer("w", tensor.ParamBuffer, false, tensor.Shape{in, out})
	dx := p.AddBuffer("dx", tensor.GradientBuffer, true, tensor.Shape{in})
	p.Emit(tensor.Train, tensor.MatMul{A: dy, B: w, C: dx, M: 1, N: in, K: out, TransB: true, Batch: tensor.BatchM})
	return p
}

// convPass names one of a convolution's three passes.
type convPass string

const (
	convForward convPass = "fwd"
	convData    convPass = "dx"
	convFilter  convPass = "dw"
)

// convPlan holds one pass of a convolution of geometry g at batch b.
func convPlan(batch int, g tensor.ConvGeom, pass convPass) *tensor.Plan {
	p := tensor.NewPlan(batch)
	x := p.AddBuffer("x", tensor.ActivationBuffer, true, tensor.Shape{g.H, g.W, g.C})
	w := p.AddBuffer("w", tensor.ParamBuffer, false, tensor.Shape{g.KH, g.KW, g.C, g.F})
	y := p.AddBuffer("y", tensor.ActivationBuffer, true, tensor.Shape{g.OH, g.OW, g.F})
	switch pass {
	case convForward:
		p.Emit(tensor.Train, tensor.Conv2D{X: x, W: w, Y: y, Geom: g})
	case convData:
		p.Emit(tensor.Train, tensor.Conv2DBackwardData{DY: y, W: w, DX: x, Geom: g})
	case convFilter:
		p.Emit(tensor.Train, tensor.Conv2DBackwardFilter{X: x, DY: y, DW: w, Geom: g})
	}
	return p
}

// normPlan holds a batch-norm training forward over Outer positions of C
// channels and its backward, with Keras's momentum and epsilon.
func normPlan(batch, outer, c int) *tensor.Plan {
	p := tensor.NewPlan(batch)
	act := func(name string) tensor.BufferID {
		return p.AddBuffer(name, tensor.ActivationBuffer, true, tensor.Shape{outer, c})
	}
	vec := func(name string, kind tensor.BufferKind) tensor.BufferID {
		return p.AddBuffer(name, kind, false, tensor.Shape{c})
	}
	x, y, dy, dx := act("x"), act("y"), act("dy"), act("dx")
	gamma, beta := vec("gamma", tensor.ParamBuffer), vec("beta", tensor.ParamBuffer)
	mm, mv := vec("moving_mean", tensor.StateBuffer), vec("moving_var", tensor.StateBuffer)
	mean, inv := vec("mean", tensor.ActivationBuffer), vec("invstd", tensor.ActivationBuffer)
	dg, db := vec("dgamma", tensor.GradientBuffer), vec("dbeta", tensor.GradientBuffer)
	p.Emit(tensor.Train, tensor.BatchNormTrain{X: x, Gamma: gamma, Beta: beta, MovingMean: mm, MovingVar: mv,
		Y: y, Mean: mean, InvStd: inv, Outer: outer, C: c, Momentum: 0.99, Epsilon: 1e-3, UnbiasedMovingVar: outer > 1})
	p.Emit(tensor.Train, tensor.BatchNormBackward{X: x, DY: dy, Gamma: gamma, Mean: mean, InvStd: inv,
		DX: dx, DGamma: dg, DBeta: db, Outer: outer, C: c})
	return p
}

// softmaxCEPlan holds the fused softmax cross-entropy over b rows of
// classes logits, writing probabilities, gradient and the loss sum.
func softmaxCEPlan(batch, classes int) *tensor.Plan {
	p := tensor.NewPlan(batch)
	row := func(name string, kind tensor.BufferKind) tensor.BufferID {
		return p.AddBuffer(name, kind, true, tensor.Shape{classes})
	}
	logits, target := row("logits", tensor.ActivationBuffer), row("target", tensor.InputBuffer)
	probs, grad := row("probs", tensor.ActivationBuffer), row("dlogits", tensor.GradientBuffer)
	sum := p.AddBuffer("loss_sum", tensor.AccumulatorBuffer, false, tensor.Shape{1})
	p.Emit(tensor.Train, tensor.Loss{Kind: tensor.SoftmaxCrossentropy, Pred: logits, Target: target,
		Probs: probs, Grad: grad, LossSum: sum, Size: classes, Width: classes})
	return p
}

// adamPlan holds one Adam update over n parameters with Keras's settings.
func adamPlan(n int) *tensor.Plan {
	p := tensor.NewPlan(1)
	vec := func(name string, kind tensor.BufferKind) tensor.BufferID {
		return p.AddBuffer(name, kind, false, tensor.Shape{n})
	}
	param, grad := vec("param", tensor.ParamBuffer), vec("grad", tensor.GradientBuffer)
	m, v := vec("m", tensor.StateBuffer), vec("v", tensor.StateBuffer)
	p.Emit(tensor.Train, tensor.AdamUpdate{Param: param, Grad: grad, M: m, V: v, Size: n,
		Beta1: 0.9, Beta2: 0.999, Epsilon: 1e-7})
	return p
}
