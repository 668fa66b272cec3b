package main

import (
	"fmt"

	"github.com/anvil-ml/anvil/tensor"
)

// kernelCase is one op timed on its own: how to build its one-op plan and
// the work one run counts.
type kernelCase struct {
	Group string // matmul, conv2d, batchnorm, softmax-ce, adam
	// Name is stable across commits (benchstat and -run match it), e.g.
	// "matmul/fnn.dense1.fwd/b32".
	Name  string
	Shape string // human-readable dimensions
	Batch int
	Flops float64 // counted floating-point operations per run; 0 for memory-bound ops
	Bytes float64 // counted bytes per run: each operand read or written once
	// Note flags a case worth a remark, e.g. a product the training step skips.
	Note  string
	Build func() *tensor.Plan
}

// scale fixes the sizes a run covers.
type scale struct {
	Squares      []int // square matmul sizes
	ModelBatches []int // batches for the reference models' matmul shapes
	ConvBatches  []int
	NormBatches  []int
	LossBatches  []int
	AdamSize     int
}

func fullScale() scale {
	return scale{Squares: []int{256, 512, 1024, 2048, 4096}, ModelBatches: []int{32, 256},
		ConvBatches: []int{32, 256}, NormBatches: []int{32, 256}, LossBatches: []int{32, 512, 16384},
		AdamSize: 600_000}
}

func quickScale() scale {
	return scale{Squares: []int{256, 512, 1024}, ModelBatches: []int{32},
		ConvBatches: []int{32}, NormBatches: []int{32}, LossBatches: []int{32, 512}, AdamSize: 600_000}
}

// kernelCases lists every kernel of a run at scale s, grouped by op.
func kernelCases(s scale) []kernelCase {
	var cs []kernelCase
	for _, n := range s.Squares {
		cs = append(cs, squareCase(n))
	}
	for _, b := range s.ModelBatches {
		for _, l := range denseLayers {
			cs = append(cs, denseCases(l, b)...)
		}
	}
	for _, b := range s.ConvBatches {
		for _, l := range convLayers {
			cs = append(cs, convCases(l, b)...)
		}
	}
	for _, b := range s.NormBatches {
		for _, n := range normShapes {
			cs = append(cs, normCase(n, b))
		}
	}
	for _, b := range s.LossBatches {
		cs = append(cs, softmaxCECase(b, 10))
	}
	return append(cs, adamCase(s.AdamSize))
}

func squareCase(n int) kernelCase {
	return kernelCase{Group: "matmul", Name: fmt.Sprintf("matmul/square/%d", n),
		Shape: fmt.Sprintf("%dx%dx%d", n, n, n), Batch: 1, Flops: 2 * float64(n) * float64(n) * float64(n),
		Bytes: 12 * float64(n) * float64(n), Build: func() *tensor.Plan { return squarePlan(n) }}
}

// denseLayer is a Dense layer of a reference model.
type denseLayer struct {
	Name      string
	In, Out   int
	InputGrad bool // whether the training step computes the input gradient
}

// denseLayers are the Dense layers of the reference FNN and CNN.
var denseLayers = []denseLayer{
	{"fnn.dense1", 3072, 200, false}, {"fnn.dense2", 200, 150, true}, {"fnn.dense3", 150, 10, true},
	{"cnn.dense1", 4096, 128, true}, {"cnn.dense2", 128, 10, true},
}

// denseCases are the three products of a Dense layer at batch b, named
// M×N×K as the MatMul op computes them.
func denseCases(l denseLayer, b int) []kernelCase {
	flops := 2 * float64(b) * float64(l.In) * float64(l.Out)
	bytes := 4 * float64(b*l.In+l.In*l.Out+b*l.Out)
	mk := func(pass, shape string, build func() *tensor.Plan) kernelCase {
		return kernelCase{Group: "matmul", Name: fmt.Sprintf("matmul/%s.%s/b%d", l.Name, pass, b),
			Shape: shape, Batch: b, Flops: flops, Bytes: bytes, Build: build}
	}
	fwd := mk("fwd", fmt.Sprintf("%dx%dx%d", b, l.Out, l.In), func() *tensor.Plan { return denseFwdPlan(b, l.In, l.Out) })
	dw := mk("dw", fmt.Sprintf("%dx%dx%d", l.In, l.Out, b), func() *tensor.Plan { return denseFilterPlan(b, l.In, l.Out) })
	dx := mk("dx", fmt.Sprintf("%dx%dx%d", b, l.In, l.Out), func() *tensor.Plan { return denseDataPlan(b, l.In, l.Out) })
	if !l.InputGrad {
		dx.Note = "not in the training step"
	}
	return []kernelCase{fwd, dw, dx}
}

// convLayer is a Conv2D layer of the reference CNN (3×3, same padding).
type convLayer struct {
	Name             string
	H, W, C, F, Step int
}

// convLayers are the four Conv2D layers of the reference CNN.
var convLayers = []convLayer{
	{"conv1", 32, 32, 3, 32, 1}, {"conv2", 32, 32, 32, 32, 2},
	{"conv3", 16, 16, 32, 64, 1}, {"conv4", 16, 16, 64, 64, 2},
}

func (l convLayer) geom() tensor.ConvGeom {
	g, err := tensor.NewConvGeom(l.H, l.W, l.C, 3, 3, l.Step, l.Step, l.F, tensor.Same)
	if err != nil {
		panic(err) // the table above is fixed and valid
	}
	return g
}

// convCases are the forward, backward-data and backward-filter passes of a
// convolution layer at batch b; each counts 2·OH·OW·F·KH·KW·C per sample.
func convCases(l convLayer, b int) []kernelCase {
	g := l.geom()
	flops := 2 * float64(b) * float64(g.OH*g.OW*g.F*g.KH*g.KW*g.C)
	bytes := 4 * float64(b*g.InSize()+g.KernelSize()+b*g.OutSize())
	shape := fmt.Sprintf("%dx%dx%d→%dx%dx%d s%d", g.H, g.W, g.C, g.OH, g.OW, g.F, l.Step)
	var cs []kernelCase
	for _, pass := range []convPass{convForward, convData, convFilter} {
		c := kernelCase{Group: "conv2d", Name: fmt.Sprintf("conv2d/%s.%s/b%d", l.Name, pass, b),
			Shape: shape, Batch: b, Flops: flops, Bytes: bytes,
			Build: func() *tensor.Plan { return convPlan(b, g, pass) }}
		if pass == convData && l.Name == "conv1" {
			c.Note = "not in the training step"
		}
		cs = append(cs, c)
	}
	return cs
}

// normShape is the input of a BatchNormalization layer of the reference CNN.
type normShape struct {
	Name     string
	Outer, C int
}

var normShapes = []normShape{{"conv1", 32 * 32, 32}, {"conv3", 16 * 16, 64}, {"dense1", 1, 128}}

// normCase times a training forward and its backward together. Bytes:
// forward reads X and writes Y, backward reads X and DY and writes DX.
func normCase(n normShape, b int) kernelCase {
	return kernelCase{Group: "batchnorm", Name: fmt.Sprintf("batchnorm/%s.train+bwd/b%d", n.Name, b),
		Shape: fmt.Sprintf("%dx%d", n.Outer, n.C), Batch: b, Bytes: 4 * 5 * float64(b*n.Outer*n.C),
		Build: func() *tensor.Plan { return normPlan(b, n.Outer, n.C) }}
}

// softmaxCECase times the fused softmax cross-entropy with its gradient.
// Bytes: reads logits and targets, writes probabilities and gradient.
func softmaxCECase(b, classes int) kernelCase {
	return kernelCase{Group: "softmax-ce", Name: fmt.Sprintf("softmax-ce/%d/b%d", classes, b),
		Shape: fmt.Sprintf("%dx%d", b, classes), Batch: b, Bytes: 4 * 4 * float64(b*classes),
		Build: func() *tensor.Plan { return softmaxCEPlan(b, classes) }}
}

// adamCase times one Adam update. Bytes: reads gradient, parameter and both
// moments, writes parameter and both moments.
func adamCase(n int) kernelCase {
	return kernelCase{Group: "adam", Name: fmt.Sprintf("adam/%d", n), Shape: fmt.Sprintf("%d params", n),
		Batch: 1, Bytes: 4 * 7 * float64(n), Build: func() *tensor.Plan { return adamPlan(n) }}
}
