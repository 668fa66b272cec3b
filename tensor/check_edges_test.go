package tensor

import (
	"fmt"
	"math"
	"strings"
	"testing"
)

// edgePlan is checkPlan's plan (a: a batched activation of 64, w: a
// parameter of 64) with resident data beside it: float32 features x (10
// rows of 2), an int32 order and int32 labels of 10 rows, and ibatch, a
// batched buffer of float16.
func edgePlan() (p *Plan, a, w, x, order, labels, ibatch BufferID) {
	p, a, w = checkPlan()
	x = p.AddDataBuffer("x", Float32, Shape{20})
	order = p.AddDataBuffer("order", Int32, Shape{10})
	labels = p.AddDataBuffer("labels", Int32, Shape{10})
	ibatch = p.AddBuffer("ibatch", ActivationBuffer, true, Shape{2})
	p.Buffers[ibatch].DType = Float16
	return
}

// TestOpChecksAtTheirEdges gives ops of the data, clipping, normalisation,
// loss and product families values at and just past their limits: each
// case is accepted (want "") or rejected with the message named.
func TestOpChecksAtTheirEdges(t *testing.T) {
	p0, a, w, x, order, labels, ibatch := edgePlan()
	small := BufferID(len(p0.Buffers)) // added to each case's plan below
	past := small + 1                  // one past the last buffer
	nan, inf := float32(math.NaN()), float32(math.Inf(1))
	gr := func(src, ord, dst BufferID, features int) Op {
		return GatherRows{Src: src, Order: ord, Table: NoBuffer, Dst: dst, Features: features}
	}
	gl := func(lab, ord, dst BufferID, classes int) Op {
		return GatherLabels{Labels: lab, Order: ord, Dst: dst, Classes: classes}
	}
	clip := func(mode ClipMode, limit float32, index int) Op {
		return ClipGradient{Grad: w, Size: 4, Mode: mode, Limit: limit, Norms: w, Index: index, Count: 2}
	}
	ln := func(eps float32) Op {
		return LayerNorm{X: a, Gamma: w, Beta: w, Y: a, Stats: a, Outer: 2, C: 4, Epsilon: eps}
	}
	tb := func(kind AugmentKind) Op { // a 2×2×2 image's transform, back
		return Transform2DBackward{DY: a, DX: a, Op: Transform2D{H: 2, W: 2, C: 2, OH: 2, OW: 2, Kind: kind}}
	}
	huber := func(delta float32) Op {
		return Loss{Kind: Huber, Pred: a, Target: a, LossSum: w, Probs: NoBuffer, Grad: NoBuffer, Size: 4, Width: 4, Delta: delta}
	}
	cases := []struct {
		name string
		op   Op
		want string
	}{
		{"gather rows", gr(x, order, a, 2), ""},
		{"gather rows without Src", gr(NoBuffer, order, a, 2), "operand Src is required"},
		{"gather rows without Order", gr(x, NoBuffer, a, 2), "operand Order is required"},
		{"gather rows without Dst", gr(x, order, NoBuffer, 2), "operand Dst is required"},
		{"gather rows from buffer 99", gr(99, order, a, 2), "buffer 99 does not exist"},
		{"gather rows from buffer -2", gr(-2, order, a, 2), "buffer -2 does not exist"},
		{"gather rows from the buffer past the last", gr(past, order, a, 2), fmt.Sprintf("buffer %d does not exist", past)},
		{"gather rows through the buffer past the last", gr(x, past, a, 2), fmt.Sprintf("buffer %d does not exist", past)},
		{"gather rows into the buffer past the last", gr(x, order, past, 2), fmt.Sprintf("buffer %d does not exist", past)},
		{"gather rows through a batched order", gr(x, a, a, 2), `buffer "a" must be a non-batched data buffer`},
		{"gather rows of int32", gr(labels, order, a, 2), `source "labels" is int32`},
		{"gather rows into float16", gr(x, order, ibatch, 2), `buffer "ibatch" must be float32, is float16`},
		{"gather labels one-hot", gl(labels, order, a, 2), ""},
		{"gather labels sparse", gl(labels, order, a, 0), ""},
		{"gather labels -1 classes", gl(labels, order, a, -1), "Classes -1 must not be negative"},
		{"gather labels without Labels", gl(NoBuffer, order, a, 2), "operand Labels is required"},
		{"gather labels without Order", gl(labels, NoBuffer, a, 2), "operand Order is required"},
		{"gather labels without Dst", gl(labels, order, NoBuffer, 2), "operand Dst is required"},
		{"gather float labels", gl(x, order, a, 2), `labels "x" must be int32`},
		{"gather labels through a batched order", gl(labels, a, a, 2), `buffer "a" must be a non-batched data buffer`},
		{"gather labels into float16", gl(labels, order, ibatch, 2), `buffer "ibatch" must be float32`},
		{"scatter rows", ScatterRows{Src: a, Dst: x, Features: 2}, ""},
		{"scatter rows without Src", ScatterRows{Src: NoBuffer, Dst: x, Features: 2}, "operand Src is required"},
		{"scatter rows without Dst", ScatterRows{Src: a, Dst: NoBuffer, Features: 2}, "operand Dst is required"},
		{"scatter rows to buffer 99", ScatterRows{Src: a, Dst: 99, Features: 2}, "buffer 99 does not exist"},
		{"scatter rows to buffer -2", ScatterRows{Src: a, Dst: -2, Features: 2}, "buffer -2 does not exist"},
		{"scatter rows to the buffer past the last", ScatterRows{Src: a, Dst: past, Features: 2}, fmt.Sprintf("buffer %d does not exist", past)},
		{"scatter rows to a batched buffer", ScatterRows{Src: a, Dst: a, Features: 2}, `destination "a" must be a non-batched data buffer`},
		{"scatter rows of 3 into 20", ScatterRows{Src: a, Dst: x, Features: 3}, "not a whole number of 3-feature rows"},
		{"scatter rows to int32", ScatterRows{Src: a, Dst: labels, Features: 2}, `buffer "labels" must be float32, is int32`},
		{"clip by value", clip(ClipByValue, 1, 0), ""},
		{"clip limit 0", clip(ClipByValue, 0, 0), "clip limit 0 must be a positive finite number"},
		{"clip limit -1", clip(ClipByValue, -1, 0), "clip limit -1"},
		{"clip limit NaN", clip(ClipByValue, nan, 0), "clip limit NaN"},
		{"clip limit Inf", clip(ClipByNorm, inf, 0), "clip limit +Inf"},
		{"clip by norm, first index", clip(ClipByNorm, 1, 0), ""},
		{"clip by norm, last index", clip(ClipByNorm, 1, 1), ""},
		{"clip by norm, index -1", clip(ClipByNorm, 1, -1), "Index -1 is outside 0..1"},
		{"clip by norm, index 2", clip(ClipByGlobalNorm, 1, 2), "Index 2 is outside 0..1"},
		// Only the norm modes read Norms: Count norms, here past x's 20.
		{"clip by norm reads its norms", ClipGradient{Grad: w, Size: 4, Mode: ClipByNorm, Limit: 1, Norms: x, Count: 21},
			`buffer "x" holds 20 elements per buffer, op needs 21`},
		{"clip by value reads no norms", ClipGradient{Grad: w, Size: 4, Mode: ClipByValue, Limit: 1, Norms: x, Count: 21}, ""},
		{"confusion counts of 0", ConfusionCounts{Pred: a, Target: a, Counts: w, Size: 0, Bins: 1}, "sizes Size, Bins must be positive"},
		{"confusion counts of 0 bins", ConfusionCounts{Pred: a, Target: a, Counts: w, Size: 4, Bins: 0}, "sizes Size, Bins must be positive"},
		{"layer norm", ln(1e-3), ""},
		{"layer norm epsilon 0", ln(0), "Epsilon 0 must be positive"},
		{"layer norm epsilon NaN", ln(nan), "Epsilon NaN must be positive"},
		// X and Y hold Outer·C = 8 values per sample, Stats 2·Outer = 4.
		{"layer norm input past its buffer", LayerNorm{X: small, Gamma: w, Beta: w, Y: a, Stats: a, Outer: 2, C: 4, Epsilon: 1},
			`buffer "small" holds 2 elements per sample, op needs 8`},
		{"layer norm output past its buffer", LayerNorm{X: a, Gamma: w, Beta: w, Y: small, Stats: a, Outer: 2, C: 4, Epsilon: 1},
			`buffer "small" holds 2 elements per sample, op needs 8`},
		{"layer norm statistics past their buffer", LayerNorm{X: a, Gamma: w, Beta: w, Y: a, Stats: small, Outer: 2, C: 4, Epsilon: 1},
			`buffer "small" holds 2 elements per sample, op needs 4`},
		{"huber", huber(1), ""},
		{"huber delta 0", huber(0), "huber delta 0 must be positive and finite"},
		{"huber delta Inf", huber(inf), "huber delta +Inf"},
		{"loss kind past the last", Loss{Kind: LogCosh + 1, Pred: a, Target: a, LossSum: w, Probs: NoBuffer, Grad: NoBuffer, Size: 4, Width: 4},
			"unknown loss kind"},
		{"loss kind before the first", Loss{Kind: MeanSquaredError - 1, Pred: a, Target: a, LossSum: w, Probs: NoBuffer, Grad: NoBuffer, Size: 4, Width: 4},
			"unknown loss kind"},
		{"loss kind, the last", Loss{Kind: LogCosh, Pred: a, Target: a, LossSum: w, Probs: NoBuffer, Grad: NoBuffer, Size: 4, Width: 4}, ""},
		{"metric kind, the last", Metric{Kind: SparseTopKCategoricalAccuracy, Pred: a, Target: a, Sum: w, Size: 4, Width: 4, K: 1}, ""},
		{"metric kind past the last", Metric{Kind: SparseTopKCategoricalAccuracy + 1, Pred: a, Target: a, Sum: w, Size: 4, Width: 4},
			"unknown metric kind"},
		{"metric kind before the first", Metric{Kind: CategoricalAccuracy - 1, Pred: a, Target: a, Sum: w, Size: 4, Width: 4},
			"unknown metric kind"},
		{"top-k with k 0", Metric{Kind: TopKCategoricalAccuracy, Pred: a, Target: a, Sum: w, Size: 4, Width: 4, K: 0},
			"top-k metric needs K > 0, got 0"},
		{"loss scale growth 1", UpdateLossScale{LossScale: w, Found: w, GrowthSteps: 1}, ""},
		{"loss scale growth 2^24", UpdateLossScale{LossScale: w, Found: w, GrowthSteps: 1 << 24}, ""},
		{"loss scale growth 0", UpdateLossScale{LossScale: w, Found: w, GrowthSteps: 0}, "GrowthSteps 0 must be in 1..2^24"},
		{"loss scale growth 2^24+1", UpdateLossScale{LossScale: w, Found: w, GrowthSteps: 1<<24 + 1}, "GrowthSteps 16777217"},
		{"regularize at 0", Regularize{Param: w, Grad: w, LossSum: w, Size: 4}, ""},
		{"regularize L1 below 0", Regularize{Param: w, Grad: w, LossSum: w, Size: 4, L1: -1e-9}, "factor L1 -1e-09 must be a finite number ≥ 0"},
		{"regularize L2 NaN", Regularize{Param: w, Grad: w, LossSum: w, Size: 4, L2: nan}, "factor L2 NaN"},
		{"regularize L2 Inf", Regularize{Param: w, Grad: w, LossSum: w, Size: 4, L2: inf}, "factor L2 +Inf"},
		{"regularize with a gradient past its buffer", Regularize{Param: w, Grad: x, LossSum: w, Size: 30},
			`buffer "x" holds 20 elements per buffer, op needs 30`},
		{"regularize without a gradient", Regularize{Param: w, Grad: NoBuffer, LossSum: w, Size: 30}, ""},
		// Only flips and crops move whole pixels, so only they have a backward.
		{"flip backward", tb(AugmentFlip), ""},
		{"crop backward", tb(AugmentCrop), ""},
		{"fixed transform backward", tb(AugmentFixed), "transform kind 0 has no backward"},
		{"translation backward", tb(AugmentTranslate), "transform kind 2 has no backward"},
		{"zoom backward", tb(AugmentZoom), "transform kind 3 has no backward"},
		{"loss probabilities too small", Loss{Kind: SoftmaxCrossentropy, Pred: a, Target: a, LossSum: w, Probs: small, Grad: NoBuffer, Size: 4, Width: 4},
			`buffer "small" holds 2 elements per sample, op needs 4`},
		{"loss gradient too small", Loss{Kind: MeanSquaredError, Pred: a, Target: a, LossSum: w, Probs: NoBuffer, Grad: small, Size: 4, Width: 4},
			`buffer "small" holds 2 elements per sample, op needs 4`},
		{"batch-norm apply past the input", BatchNormApply{X: a, Gamma: w, Beta: w, Mean: w, InvStd: w, BatchVar: w,
			MovingMean: w, MovingVar: w, Y: a, Outer: 17, C: 4, Momentum: 0.9}, "op needs 68"},
		{"batch-norm moments", BatchNormMoments{X: a, Moments: w, Outer: 16, C: 4}, ""},
		{"batch-norm moments past the input", BatchNormMoments{X: a, Moments: w, Outer: 17, C: 4}, "op needs 68"},
		{"batch-norm moments past their buffer", BatchNormMoments{X: a, Moments: w, Outer: 1, C: 40}, "op needs 80"},
	}
	for _, c := range cases {
		p, _, _, _, _, _, _ := edgePlan()
		p.AddBuffer("small", ActivationBuffer, true, Shape{2}) // the ID small names
		p.Emit(Eval, c.op)
		err := p.Validate()
		if c.want == "" {
			if err != nil {
				t.Errorf("%s: %v", c.name, err)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: Validate = %v, want an error containing %q", c.name, err, c.want)
		}
	}
}

// TestFloatCheckOfBufferZero: the float32 check of an op's operands covers
// buffer 0 too, here an int32 data buffer a scatter would write floats to.
func TestFloatCheckOfBufferZero(t *testing.T) {
	p := NewPlan(2)
	labels := p.AddDataBuffer("labels", Int32, Shape{10})
	a := p.AddBuffer("a", ActivationBuffer, true, Shape{2})
	p.Emit(Predict, ScatterRows{Src: a, Dst: labels, Features: 2})
	want := `buffer "labels" must be float32, is int32`
	if err := p.Validate(); labels != 0 || err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("scatter into buffer %d, int32: Validate = %v, want an error containing %q", labels, err, want)
	}
}

// TestTargetSizes writes out, kind by kind, how many target values a
// sample of 12 predictions in classes of 4 takes: class indices (3) for
// the sparse kinds, one per prediction (12) for the rest.
func TestTargetSizes(t *testing.T) {
	sparseLoss := map[LossKind]bool{SparseCategoricalCrossentropy: true, SparseSoftmaxCrossentropy: true}
	for k := MeanSquaredError; k <= LogCosh; k++ {
		want := 12
		if sparseLoss[k] {
			want = 3
		}
		if got := k.TargetSize(12, 4); got != want || k.Sparse() != sparseLoss[k] {
			t.Errorf("loss kind %d: TargetSize = %d, Sparse = %v; want %d, %v", k, got, k.Sparse(), want, sparseLoss[k])
		}
	}
	sparseMetric := map[MetricKind]bool{SparseCategoricalAccuracy: true, SparseTopKCategoricalAccuracy: true}
	for k := CategoricalAccuracy; k <= SparseTopKCategoricalAccuracy; k++ {
		want := 12
		if sparseMetric[k] {
			want = 3
		}
		if got := (Metric{Kind: k, Size: 12, Width: 4}).TargetSize(); got != want {
			t.Errorf("metric kind %d: TargetSize = %d, want %d", k, got, want)
		}
	}
}

// TestMatMulAccessSizes gives each batch axis a product whose operand
// needs more elements than its buffer holds (80 of 64), one operand at a
// time: Validate must refuse each, so the access sizes are M·K, K·N and
// M·N as the op documents.
func TestMatMulAccessSizes(t *testing.T) {
	for _, batch := range []BatchAxis{BatchNone, BatchM, BatchK} {
		for _, c := range []struct {
			name    string
			m, n, k int
		}{
			{"A", 2, 1, 40}, // M·K = 80
			{"B", 1, 10, 8}, // K·N = 80
			{"C", 10, 8, 1}, // M·N = 80
		} {
			p := NewPlan(2)
			batched := p.AddBuffer("batched", ActivationBuffer, true, Shape{64})
			param := p.AddBuffer("param", ParamBuffer, false, Shape{64})
			op := MatMul{A: param, B: param, C: param, M: c.m, N: c.n, K: c.k, Batch: batch}
			switch batch {
			case BatchM:
				op.A, op.C = batched, batched
			case BatchK:
				op.A, op.B = batched, batched
			}
			p.Emit(Eval, op)
			if err := p.Validate(); err == nil {
				t.Errorf("batch axis %d, operand %s too small (80 of 64): accepted", batch, c.name)
			}
		}
	}
}

// TestActFnValidRange checks the ends of the activation enumeration: the
// last name is valid, one past it and one before the first are not.
func TestActFnValidRange(t *testing.T) {
	last := ActFn(len(actNames) - 1)
	if !Linear.Valid() || !last.Valid() || ActFn(len(actNames)).Valid() || (Linear - 1).Valid() {
		t.Errorf("Valid: linear %v, last %v, one past %v, one before %v; want true, true, false, false",
			Linear.Valid(), last.Valid(), ActFn(len(actNames)).Valid(), (Linear - 1).Valid())
	}
}

// TestDepthwiseGeomRejects gives NewDepthwiseGeom a zero in each window and
// dilation size: the error names the window and dilation as given (with
// dilation 3 a zero-tap window would otherwise be reported as its span,
// −2). A depthwise op must refuse a negative padding on each side and
// accept a zero one.
func TestDepthwiseGeomRejects(t *testing.T) {
	for i, s := range [][4]int{{0, 3, 1, 1}, {3, 0, 1, 1}, {0, 3, 3, 1}, {3, 0, 1, 3}, {3, 3, 0, 1}, {3, 3, 1, 0}} {
		_, err := NewDepthwiseGeom(5, 5, 2, s[0], s[1], 1, 1, s[2], s[3], 1, Valid)
		want := fmt.Sprintf("window %dx%d with dilation %dx%d: sizes must be positive", s[0], s[1], s[2], s[3])
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("case %d: err = %v, want %q", i, err, want)
		}
	}
	if _, err := NewDepthwiseGeom(5, 5, 2, 1, 1, 1, 1, 1, 1, 1, Valid); err != nil {
		t.Errorf("a 1x1 window: %v", err)
	}
	for _, pad := range [][2]int{{-1, 0}, {0, -1}, {0, 1}, {1, 0}, {0, 0}} {
		g, err := NewDepthwiseGeom(4, 4, 2, 3, 3, 1, 1, 1, 1, 1, Same)
		if err != nil {
			t.Fatal(err)
		}
		g.PadTop, g.PadLeft = pad[0], pad[1]
		p := NewPlan(1)
		x := p.AddBuffer("x", ActivationBuffer, true, Shape{g.InSize()})
		w := p.AddBuffer("w", ParamBuffer, false, Shape{g.KernelSize()})
		y := p.AddBuffer("y", ActivationBuffer, true, Shape{g.OutSize()})
		p.Emit(Eval, DepthwiseConv2D{X: x, W: w, Y: y, Geom: g})
		err = p.Validate()
		if pad[0] >= 0 && pad[1] >= 0 {
			if err != nil {
				t.Errorf("padding %v: %v", pad, err)
			}
			continue
		}
		want := fmt.Sprintf("padding %d, %d must not be negative", pad[0], pad[1])
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("padding %v: Validate = %v, want %q", pad, err, want)
		}
	}
}

// TestBufferKindNames checks the names of the first and last kinds and the
// fallback past them.
func TestBufferKindNames(t *testing.T) {
	if InputBuffer.String() != "input" || DataBuffer.String() != "data" || (DataBuffer+1).String() != "BufferKind(8)" {
		t.Errorf("names: %q, %q, %q", InputBuffer, DataBuffer, DataBuffer+1)
	}
}
