package tensor

import (
	"fmt"
	"math"
	"strings"
	"testing"
)

// checkPlan has a batched and an unbatched buffer large enough for every
// op below, so that only the field under test is wrong.
func checkPlan() (*Plan, BufferID, BufferID) {
	p := NewPlan(2)
	return p, p.AddBuffer("a", ActivationBuffer, true, Shape{64}), p.AddBuffer("w", ParamBuffer, false, Shape{64})
}

// TestOpChecksReject gives each op type its bad cases: Validate must reject
// each with the message the backends gave before the checks moved here.
func TestOpChecksReject(t *testing.T) {
	_, a, w := checkPlan()
	geom := ConvGeom{H: 2, W: 2, C: 1, KH: 1, KW: 1, SH: 1, SW: 1, OH: 2, OW: 2, F: 1}
	zeroOH, noF, negPad := geom, geom, geom
	zeroOH.OH, noF.F, negPad.PadTop = 0, 0, -1
	cases := []struct {
		name string
		op   Op
		want string
	}{
		{"matmul size", MatMul{A: a, B: w, C: a, M: 0, N: 1, K: 1, Batch: BatchM}, "sizes M, N, K must be positive"},
		{"matmul axis", MatMul{A: a, B: w, C: a, M: 1, N: 1, K: 1, Batch: 9}, "unknown batch axis 9"},
		{"matmul operand", MatMul{A: a, B: NoBuffer, C: a, M: 1, N: 1, K: 1, Batch: BatchM}, "operand B is required"},
		{"bias add", BiasAdd{X: a, Bias: w, Y: a, Outer: 0, C: 1}, "sizes Outer, C must be positive"},
		{"bias add operand", BiasAdd{X: a, Bias: NoBuffer, Y: a, Outer: 1, C: 1}, "operand Bias is required"},
		{"bias grad", BiasGrad{DY: a, DBias: w, Outer: 1, C: -1}, "sizes Outer, C must be positive"},
		{"add size", Add{A: a, B: a, Y: a, Size: 0}, "sizes Size must be positive"},
		{"add operand", Add{A: a, B: NoBuffer, Y: a, Size: 4}, "operand B is required"},
		{"concat widths", Concat{Inputs: []BufferID{a, a}, Widths: []int{1}, Y: a, Outer: 1}, "2 buffers but 1 widths"},
		{"concat width 0", Concat{Inputs: []BufferID{a}, Widths: []int{0}, Y: a, Outer: 1}, "must be positive"},
		{"concat part", Concat{Inputs: []BufferID{NoBuffer}, Widths: []int{1}, Y: a, Outer: 1}, "a concatenated part"},
		{"split outer", Split{X: a, Outputs: []BufferID{a}, Widths: []int{1}, Outer: 0}, "outer 0 must be positive"},
		{"split wide", Split{X: NoBuffer, Outputs: []BufferID{a}, Widths: []int{1}, Outer: 1}, "the concatenated buffer"},
		{"conv geometry", Conv2D{X: a, W: w, Y: a, Geom: zeroOH}, "must be positive"},
		{"conv filters", Conv2DBackwardData{DY: a, W: w, DX: a, Geom: noF}, "sizes F must be positive"},
		{"conv padding", Conv2DBackwardFilter{X: a, DY: a, DW: w, Geom: negPad}, "padding -1, 0 must not be negative"},
		{"conv operand", Conv2D{X: a, W: NoBuffer, Y: a, Geom: geom}, "operand W is required"},
		{"pool kind", Pool2D{Kind: 5, X: a, Y: a, Geom: geom}, "unknown pooling kind 5"},
		{"pool geometry", Pool2DBackward{Kind: AvgPool, X: a, DY: a, DX: a, Geom: zeroOH}, "must be positive"},
		{"max pool backward X", Pool2DBackward{Kind: MaxPool, X: NoBuffer, DY: a, DX: a, Geom: geom}, "operand X is required"},
		{"batchnorm", BatchNormTrain{X: a, Gamma: w, Beta: w, MovingMean: w, MovingVar: w, Y: a, Mean: w, InvStd: w, Outer: 1, C: 0},
			"sizes Outer, C must be positive"},
		{"batchnorm infer operand", BatchNormInfer{X: a, Gamma: w, Beta: w, MovingMean: NoBuffer, MovingVar: w, Y: a, Outer: 1, C: 1},
			"operand MovingMean is required"},
		{"batchnorm backward operand", BatchNormBackward{X: a, DY: a, Gamma: w, Mean: w, InvStd: w, DX: a, DGamma: w, DBeta: NoBuffer, Outer: 1, C: 1},
			"operand DBeta is required"},
		{"activation fn", Activation{Fn: 42, X: a, Y: a, Size: 4}, "unknown activation ActFn(42)"},
		{"softmax width", Activation{Fn: Softmax, X: a, Y: a, Size: 4, Width: 3}, "softmax Width 3 must be positive and divide Size 4"},
		{"relu backward X", ActivationBackward{Fn: ReLU, X: NoBuffer, Y: NoBuffer, DY: a, DX: a, Size: 4}, "operand X is required"},
		{"tanh backward Y", ActivationBackward{Fn: Tanh, X: NoBuffer, Y: NoBuffer, DY: a, DX: a, Size: 4}, "operand Y is required"},
		{"dropout rate 1", Dropout{X: a, Y: a, Size: 4, Rate: 1}, "dropout rate 1 must be in [0, 1)"},
		{"dropout rate NaN", DropoutBackward{DY: a, DX: a, Size: 4, Rate: float32(math.NaN())}, "must be in [0, 1)"},
		{"dropout size", Dropout{X: a, Y: a, Size: 0, Rate: 0.5}, "sizes Size must be positive"},
		{"dropout operand", DropoutBackward{DY: a, DX: NoBuffer, Size: 4, Rate: 0.5}, "operand output is required"},
		{"loss kind", Loss{Kind: 99, Pred: a, Target: a, Probs: NoBuffer, Grad: NoBuffer, LossSum: w, Size: 4, Width: 4}, "unknown loss kind 99"},
		{"sparse loss width 0", Loss{Kind: SparseSoftmaxCrossentropy, Pred: a, Target: a, Probs: NoBuffer, Grad: NoBuffer, LossSum: w, Size: 4},
			"loss Width 0 must be positive and divide Size 4"},
		{"loss sum", Loss{Kind: MeanSquaredError, Pred: a, Target: a, Probs: NoBuffer, Grad: NoBuffer, LossSum: NoBuffer, Size: 4, Width: 4},
			"operand LossSum is required"},
		{"metric kind", Metric{Kind: 7, Pred: a, Target: a, Sum: w, Size: 4, Width: 4}, "unknown metric kind 7"},
		{"metric width", Metric{Kind: CategoricalAccuracy, Pred: a, Target: a, Sum: w, Size: 4, Width: 3}, "metric Width 3 must be positive and divide Size 4"},
		{"sgd momentum without velocity", SGDUpdate{Param: w, Grad: w, Velocity: NoBuffer, Size: 1, Momentum: 0.9},
			"operand Velocity (needed when Momentum is not 0) is required"},
		{"adam size", AdamUpdate{Param: w, Grad: w, M: w, V: w, Size: 0}, "sizes Size must be positive"},
		{"rmsprop velocity", RMSpropUpdate{Param: w, Grad: w, MeanSquare: w, Velocity: NoBuffer, Size: 1, Momentum: 0.5},
			"Velocity (needed when Momentum is not 0)"},
	}
	for _, c := range cases {
		p, _, _ := checkPlan()
		p.Emit(Eval, c.op)
		err := p.Validate()
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: Validate = %v, want an error containing %q", c.name, err, c.want)
		}
	}
}

func TestValidatePlanErrors(t *testing.T) {
	p, a, _ := checkPlan()
	p.Routines[Predict] = []Op{Add{A: a, B: a, Y: a, Size: 4}, nil}
	if err := p.Validate(); err == nil || !strings.Contains(err.Error(), "predict op 1 is nil") {
		t.Errorf("a nil op: %v", err)
	}
	p, _, _ = checkPlan()
	p.AddBuffer("neg", ActivationBuffer, true, Shape{-3})
	if err := p.Validate(); err == nil || !strings.Contains(err.Error(), `buffer 2 ("neg") has negative shape (-3,)`) {
		t.Errorf("a negative shape: %v", err)
	}
	if _, err := NewContract(nil); err == nil || err.Error() != "nil plan" {
		t.Errorf("NewContract(nil): %v", err)
	}
	p = NewPlan(0)
	if _, err := NewContract(p); err == nil || !strings.Contains(err.Error(), "batch size 0") {
		t.Errorf("batch 0: %v", err)
	}
}

// TestContractCalls checks the Write, Read and Run errors both backends
// report, and the Adam step rule.
func TestContractCalls(t *testing.T) {
	p, a, w := checkPlan()
	p.Emit(Train, AdamUpdate{Param: w, Grad: w, M: w, V: w, Size: 64, Beta1: 0.9, Beta2: 0.999, Epsilon: 1e-7})
	c, err := NewContract(p)
	if err != nil {
		t.Fatal(err)
	}
	if !c.NeedsStep(Train) || c.NeedsStep(Eval) || c.NeedsStep(Predict) {
		t.Errorf("NeedsStep = %v %v %v, want only train", c.NeedsStep(Train), c.NeedsStep(Eval), c.NeedsStep(Predict))
	}
	// Routines the plan does not have need nothing (and do not panic).
	if past := Routine(len(p.Routines)); c.NeedsStep(past) || c.NeedsStep(-1) {
		t.Errorf("NeedsStep of routines -1 and %d (past the plan's) = true", past)
	}
	cases := []struct {
		name string
		err  error
		want string
	}{
		{"write a missing buffer", c.CheckWrite(2, 1), "buffer 2 does not exist (the plan has 2 buffers)"},
		{"read a negative id", c.CheckRead(-1, 1), "buffer -1 does not exist"},
		{"write too much", c.CheckWrite(a, 129), `writing 129 values to buffer 0 ("a"), which holds 128`},
		{"read too much", c.CheckRead(w, 65), `reading 65 values from buffer 1 ("w"), which holds 64`},
		{"no rows", c.CheckRun(Eval, StepArgs{Rows: 0}), "eval with 0 rows: rows must be in 1..2 (the plan's batch size)"},
		{"too many rows", c.CheckRun(Eval, StepArgs{Rows: 3}), "rows must be in 1..2"},
		{"unknown routine", c.CheckRun(7, StepArgs{Rows: 1}), "unknown routine Routine(7)"},
		{"no split routines", c.CheckRun(TrainGrad, StepArgs{Rows: 1}), "train-grad is empty: the plan was not lowered for data-parallel training"},
		{"adam at step 0", c.CheckRun(Train, StepArgs{Rows: 1}), "train: Step is 0, but Adam's bias correction needs the 1-based step"},
	}
	for _, k := range cases {
		if k.err == nil || !strings.Contains(k.err.Error(), k.want) {
			t.Errorf("%s: %v, want an error containing %q", k.name, k.err, k.want)
		}
	}
	for name, err := range map[string]error{
		"full write": c.CheckWrite(a, 128), "short read": c.CheckRead(w, 1), "full read": c.CheckRead(w, 64),
		"predict":         c.CheckRun(Predict, StepArgs{Rows: 1}),
		"train at step 1": c.CheckRun(Train, StepArgs{Rows: 2, Step: 1}), "eval at step 0": c.CheckRun(Eval, StepArgs{Rows: 1}),
	} {
		if err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
}

// TestOpChecksAcceptEveryActivation: every activation function, the first
// and the last of the enumeration included, validates with a good shape.
func TestOpChecksAcceptEveryActivation(t *testing.T) {
	for fn := Linear; fn <= Softmax; fn++ {
		p, a, _ := checkPlan()
		p.Emit(Eval, Activation{Fn: fn, X: a, Y: a, Size: 64, Width: 8})
		if err := p.Validate(); err != nil {
			t.Errorf("%v: %v", fn, err)
		}
	}
}

// TestOpChecksAcceptEdges: every enumerated kind, the ends of each
// enumeration included, and the edges of the numeric ranges the checks
// enforce, validate; one step past each edge is rejected.
func TestOpChecksAcceptEdges(t *testing.T) {
	validate := func(batch int, build func(p *Plan) Op) error {
		p := NewPlan(batch)
		p.Emit(Eval, build(p))
		return p.Validate()
	}
	buf := func(p *Plan, batched bool, n int) BufferID {
		return p.AddBuffer(fmt.Sprint("b", len(p.Buffers)), ActivationBuffer, batched, Shape{n})
	}
	accept := map[string]func(p *Plan) Op{}
	for k := MeanSquaredError; k <= SigmoidBinaryCrossentropy; k++ {
		accept[fmt.Sprint("loss ", k)] = func(p *Plan) Op {
			return Loss{Kind: k, Pred: buf(p, true, 64), Target: buf(p, true, k.TargetSize(64, 8)), Probs: NoBuffer,
				Grad: NoBuffer, LossSum: buf(p, false, 1), Size: 64, Width: 8}
		}
	}
	for k := CategoricalAccuracy; k <= MeanSquaredMetric; k++ {
		accept[fmt.Sprint("metric ", k)] = func(p *Plan) Op {
			m := Metric{Kind: k, Size: 64, Width: 8}
			m.Pred, m.Target, m.Sum = buf(p, true, 64), buf(p, true, m.TargetSize()), buf(p, false, 1)
			return m
		}
	}
	for axis := BatchNone; axis <= BatchK; axis++ {
		accept[fmt.Sprint("matmul axis ", axis)] = func(p *Plan) Op {
			o := MatMul{M: 4, N: 4, K: 4, Batch: axis}
			acc := o.Accesses()
			o.A, o.B, o.C = buf(p, acc[0].Batched, 16), buf(p, acc[1].Batched, 16), buf(p, acc[2].Batched, 16)
			return o
		}
	}
	accept["dropout rate 0"] = func(p *Plan) Op { return Dropout{X: buf(p, true, 8), Y: buf(p, true, 8), Size: 8} }
	for name, build := range accept {
		if err := validate(2, build); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	// Dropout's element index is 32 bits: 2^16 samples of 2^16 elements
	// just fit, one more element per sample does not. (Validate allocates
	// nothing, so the sizes cost nothing.)
	drop := func(size int) func(p *Plan) Op {
		return func(p *Plan) Op { return Dropout{X: buf(p, true, size), Y: buf(p, true, size), Size: size, Rate: 0.5} }
	}
	if err := validate(1<<16, drop(1<<16)); err != nil {
		t.Errorf("dropout over exactly 2^32 elements: %v", err)
	}
	if err := validate(1<<16, drop(1<<16+1)); err == nil || !strings.Contains(err.Error(), "overflows the 32-bit element index") {
		t.Errorf("dropout over 2^32 + 2^16 elements: %v, want the overflow error", err)
	}
	softmax0 := func(p *Plan) Op { a := buf(p, true, 8); return Activation{Fn: Softmax, X: a, Y: a, Size: 8} }
	if err := validate(1, softmax0); err == nil || !strings.Contains(err.Error(), "softmax Width 0 must be positive") {
		t.Errorf("softmax of width 0: %v, want a width error", err)
	}
}

// TestContractStartRange checks StepArgs.Start against a routine's sample
// order of 10 rows: a step of 3 rows may start at 0..7 and nowhere else.
// With a scatter into a destination of 6 rows beside it, emitted before or
// after the gather, the fewer rows bound Start: 0..3. The error gives the
// rows the step would touch, Start..Start+Rows.
func TestContractStartRange(t *testing.T) {
	for _, c := range []struct {
		name      string
		scatter   int // where the scatter goes: 0 none, -1 before the gather, 1 after
		rows, max int
	}{
		{"an order of 10", 0, 10, 7},
		{"a destination of 6, then an order of 10", -1, 6, 3},
		{"an order of 10, then a destination of 6", 1, 6, 3},
	} {
		p := NewPlan(4)
		src := p.AddDataBuffer("x", Float32, Shape{10 * 2})
		order := p.AddDataBuffer("order", Int32, Shape{10})
		out := p.AddDataBuffer("out", Float32, Shape{6 * 2})
		dst := p.AddBuffer("batch", ActivationBuffer, true, Shape{2})
		scatter := ScatterRows{Src: dst, Dst: out, Features: 2}
		if c.scatter < 0 {
			p.Emit(Predict, scatter)
		}
		p.Emit(Predict, GatherRows{Src: src, Order: order, Table: NoBuffer, Dst: dst, Features: 2})
		if c.scatter > 0 {
			p.Emit(Predict, scatter)
		}
		ct, err := NewContract(p)
		if err != nil {
			t.Fatal(err)
		}
		for start := -1; start <= c.max+1; start++ {
			err := ct.CheckRun(Predict, StepArgs{Rows: 3, Start: start})
			if ok := start >= 0 && start <= c.max; ok != (err == nil) {
				t.Errorf("%s: Start %d, 3 rows: err = %v", c.name, start, err)
			}
			want := fmt.Sprintf("rows %d..%d of a sample order or scatter destination that holds %d rows", start, start+3, c.rows)
			if err != nil && !strings.Contains(err.Error(), want) {
				t.Errorf("%s: Start %d: error %q, want it to contain %q", c.name, start, err, want)
			}
		}
	}
}
