package cpuref

import (
	"fmt"
	"math"
	"os"
	"regexp"
	"runtime"
	"strings"
	"testing"

	"github.com/anvil-ml/anvil/tensor"
)

// net is a small CNN whose Train routine uses most of the op set: conv,
// bias, batch norm, leaky ReLU, max pooling, dropout, dense, fused softmax
// cross-entropy, accuracy, every backward and Adam.
type net struct {
	plan               *tensor.Plan
	x, y, loss, acc    tensor.BufferID
	probs, out, params []tensor.BufferID
}

func buildNet(t testing.TB, batch int) *net {
	p := tensor.NewPlan(batch)
	act := func(name string, size int) tensor.BufferID {
		return p.AddBuffer(name, tensor.ActivationBuffer, true, tensor.Shape{size})
	}
	param := func(name string, size int) tensor.BufferID {
		return p.AddBuffer(name, tensor.ParamBuffer, false, tensor.Shape{size})
	}
	state := func(name string, size int) tensor.BufferID {
		return p.AddBuffer(name, tensor.StateBuffer, false, tensor.Shape{size})
	}
	cg, err := tensor.NewConvGeom(16, 16, 3, 3, 3, 1, 1, 8, tensor.Same)
	if err != nil {
		t.Fatal(err)
	}
	pg, err := tensor.NewConvGeom(16, 16, 8, 2, 2, 2, 2, 0, tensor.Valid)
	if err != nil {
		t.Fatal(err)
	}
	in, c1, hid, classes := cg.InSize(), cg.OutSize(), pg.PoolOutSize(), 10
	n := &net{plan: p}
	n.x, n.y = p.AddBuffer("x", tensor.InputBuffer, true, tensor.Shape{16, 16, 3}), act("y", classes)
	w1, b1, gamma, beta, w2, b2 := param("w1", cg.KernelSize()), param("b1", 8), param("gamma", 8), param("beta", 8),
		param("w2", hid*classes), param("b2", classes)
	n.params = []tensor.BufferID{w1, b1, gamma, beta, w2, b2}
	mm, mv, mean, inv := state("mm", 8), state("mv", 8), state("mean", 8), state("inv", 8)
	z1, a1, h1, pool, drop, logits := act("z1", c1), act("a1", c1), act("h1", c1), act("pool", hid), act("drop", hid), act("logits", classes)
	probs := act("probs", classes)
	n.loss, n.acc = p.AddBuffer("loss", tensor.AccumulatorBuffer, false, tensor.Shape{1}),
		p.AddBuffer("acc", tensor.AccumulatorBuffer, false, tensor.Shape{1})
	n.probs = []tensor.BufferID{probs}
	dlogits, ddrop, dpool, dh1, da1, dz1, dx := act("dlogits", classes), act("ddrop", hid), act("dpool", hid),
		act("dh1", c1), act("da1", c1), act("dz1", c1), act("dx", in)
	grads := []tensor.BufferID{param("dw1", cg.KernelSize()), param("db1", 8), param("dgamma", 8), param("dbeta", 8),
		param("dw2", hid*classes), param("db2", classes)}

	forward := func(r tensor.Routine, train bool) {
		p.Emit(r, tensor.Conv2D{X: n.x, W: w1, Y: z1, Geom: cg})
		p.Emit(r, tensor.BiasAdd{X: z1, Bias: b1, Y: z1, Outer: 256, C: 8})
		if train {
			p.Emit(r, tensor.BatchNormTrain{X: z1, Gamma: gamma, Beta: beta, MovingMean: mm, MovingVar: mv,
				Y: a1, Mean: mean, InvStd: inv, Outer: 256, C: 8, Momentum: 0.99, Epsilon: 1e-3, UnbiasedMovingVar: true})
		} else {
			p.Emit(r, tensor.BatchNormInfer{X: z1, Gamma: gamma, Beta: beta, MovingMean: mm, MovingVar: mv,
				Y: a1, Outer: 256, C: 8, Epsilon: 1e-3})
		}
		p.Emit(r, tensor.Activation{Fn: tensor.LeakyReLU, X: a1, Y: h1, Size: c1, Alpha: 0.3})
		p.Emit(r, tensor.Pool2D{Kind: tensor.MaxPool, X: h1, Y: pool, Geom: pg})
		dense := pool
		if train {
			p.Emit(r, tensor.Dropout{X: pool, Y: drop, Size: hid, Rate: 0.25, Salt: 3})
			dense = drop
		}
		p.Emit(r, tensor.MatMul{A: dense, B: w2, C: logits, M: 1, N: classes, K: hid, Batch: tensor.BatchM})
		p.Emit(r, tensor.BiasAdd{X: logits, Bias: b2, Y: logits, Outer: 1, C: classes})
	}
	forward(tensor.Train, true)
	p.Emit(tensor.Train, tensor.Loss{Kind: tensor.SoftmaxCrossentropy, Pred: logits, Target: n.y, Probs: probs,
		Grad: dlogits, LossSum: n.loss, Size: classes, Width: classes})
	p.Emit(tensor.Train, tensor.Metric{Kind: tensor.CategoricalAccuracy, Pred: probs, Target: n.y, Sum: n.acc, Size: classes, Width: classes})
	for _, op := range []tensor.Op{
		tensor.BiasGrad{DY: dlogits, DBias: grads[5], Outer: 1, C: classes},
		tensor.MatMul{A: drop, B: dlogits, C: grads[4], M: hid, N: classes, K: 1, TransA: true, Batch: tensor.BatchK},
		tensor.MatMul{A: dlogits, B: w2, C: ddrop, M: 1, N: hid, K: classes, TransB: true, Batch: tensor.BatchM},
		tensor.DropoutBackward{DY: ddrop, DX: dpool, Size: hid, Rate: 0.25, Salt: 3},
		tensor.Pool2DBackward{Kind: tensor.MaxPool, X: h1, DY: dpool, DX: dh1, Geom: pg},
		tensor.ActivationBackward{Fn: tensor.LeakyReLU, X: a1, Y: tensor.NoBuffer, DY: dh1, DX: da1, Size: c1, Alpha: 0.3},
		tensor.BatchNormBackward{X: z1, DY: da1, Gamma: gamma, Mean: mean, InvStd: inv, DX: dz1, DGamma: grads[2],
			DBeta: grads[3], Outer: 256, C: 8},
		tensor.BiasGrad{DY: dz1, DBias: grads[1], Outer: 256, C: 8},
		tensor.Conv2DBackwardFilter{X: n.x, DY: dz1, DW: grads[0], Geom: cg},
		tensor.Conv2DBackwardData{DY: dz1, W: w1, DX: dx, Geom: cg},
	} {
		p.Emit(tensor.Train, op)
	}
	for i, prm := range n.params {
		size := p.Elems(prm)
		p.Emit(tensor.Train, tensor.AdamUpdate{Param: prm, Grad: grads[i], M: state("m", size), V: state("v", size),
			Size: size, Beta1: 0.9, Beta2: 0.999, Epsilon: 1e-7})
	}
	forward(tensor.Eval, false)
	p.Emit(tensor.Eval, tensor.Loss{Kind: tensor.SoftmaxCrossentropy, Pred: logits, Target: n.y, Probs: probs,
		Grad: tensor.NoBuffer, LossSum: n.loss, Size: classes, Width: classes})
	forward(tensor.Predict, false)
	out := p.AddBuffer("out", tensor.OutputBuffer, true, tensor.Shape{classes})
	p.Emit(tensor.Predict, tensor.Activation{Fn: tensor.Softmax, X: logits, Y: out, Size: classes, Width: classes})
	n.out = []tensor.BufferID{out}
	return n
}

// load compiles the net and fills its inputs and parameters from seed.
func (n *net) load(t testing.TB, seed uint64) tensor.Program {
	prog, err := New().Compile(n.plan)
	if err != nil {
		t.Fatal(err)
	}
	rng := newRand(seed)
	write := func(id tensor.BufferID, v []float32) {
		if err := prog.Write(id, v); err != nil {
			t.Fatal(err)
		}
	}
	write(n.x, uniform(rng, n.plan.Elems(n.x), 0, 1))
	labels := make([]float32, n.plan.Elems(n.y))
	for i := 0; i < n.plan.Batch; i++ {
		labels[i*10+rng.IntN(10)] = 1
	}
	write(n.y, labels)
	for _, prm := range n.params {
		write(prm, uniform(rng, n.plan.Elems(prm), -0.3, 0.3))
	}
	return prog
}

// steps runs three training steps (the last one short), an evaluation and
// a prediction, and returns the contents of every buffer.
func (n *net) steps(t testing.TB, prog tensor.Program) [][]float32 {
	for step := 1; step <= 3; step++ {
		rows := n.plan.Batch
		if step == 3 {
			rows -= 3
		}
		if err := prog.Run(tensor.Train, tensor.StepArgs{Rows: rows, Step: uint64(step), LearningRate: 1e-3, Seed: 11}); err != nil {
			t.Fatal(err)
		}
	}
	for _, r := range []tensor.Routine{tensor.Eval, tensor.Predict} {
		if err := prog.Run(r, tensor.StepArgs{Rows: n.plan.Batch}); err != nil {
			t.Fatal(err)
		}
	}
	var all [][]float32
	for id := range n.plan.Buffers {
		b := make([]float32, n.plan.Elems(tensor.BufferID(id)))
		if err := prog.Read(tensor.BufferID(id), b); err != nil {
			t.Fatal(err)
		}
		all = append(all, b)
	}
	return all
}

// TestDeterminism runs the same plan, inputs and seed in two programs, and
// in a third with the worker pool held so that every chunk runs on one
// goroutine: every buffer must match bit for bit.
func TestDeterminism(t *testing.T) {
	n := buildNet(t, 16)
	a := n.steps(t, n.load(t, 1))
	b := n.steps(t, n.load(t, 1))
	pool := workers()
	pool.mu.Lock()
	serial := n.steps(t, n.load(t, 1))
	pool.mu.Unlock()
	for name, other := range map[string][][]float32{"second program": b, "serial": serial} {
		for id := range a {
			for i := range a[id] {
				if math.Float32bits(a[id][i]) != math.Float32bits(other[id][i]) {
					t.Fatalf("%s: buffer %q element %d: %v vs %v", name, n.plan.Buffers[id].Name, i, a[id][i], other[id][i])
				}
			}
		}
	}
	// The run must have trained: a finite, positive loss and probabilities.
	if l := a[n.loss][0]; !(l > 0) || math.IsInf(float64(l), 0) {
		t.Errorf("accumulated loss %v", l)
	}
	if s := a[n.out[0]][0] + a[n.out[0]][1]; !(s > 0 && s < 1) {
		t.Errorf("prediction probabilities look wrong: %v", a[n.out[0]][:10])
	}
}

func TestRunAllocatesNothing(t *testing.T) {
	n := buildNet(t, 16)
	prog := n.load(t, 2)
	defer prog.Close()
	step := uint64(0)
	allocs := testing.AllocsPerRun(5, func() {
		step++
		if err := prog.Run(tensor.Train, tensor.StepArgs{Rows: 13, Step: step, LearningRate: 1e-3}); err != nil {
			t.Fatal(err)
		}
		if err := prog.Run(tensor.Eval, tensor.StepArgs{Rows: 16}); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Errorf("a training and an evaluation step allocate %v times, want 0", allocs)
	}
}

func TestBackendInfo(t *testing.T) {
	b := New()
	if b.Name() != "cpu" {
		t.Errorf("Name = %q", b.Name())
	}
	// The first "model name" of /proc/cpuinfo, found here with a regular
	// expression over the whole file; the architecture where there is
	// none (arm64's cpuinfo, other systems).
	model := runtime.GOARCH
	if info, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		if m := regexp.MustCompile(`(?m)^model name\s*:\s*(.*?)\s*$`).FindSubmatch(info); m != nil {
			model = string(m[1])
		}
	}
	want := fmt.Sprintf("%s, %d cores", model, runtime.GOMAXPROCS(0))
	if d := b.Device(); d != want {
		t.Errorf("Device = %q, want %q", d, want)
	}
}

func TestProgramErrors(t *testing.T) {
	n := buildNet(t, 4)
	prog := n.load(t, 3)
	xs := n.plan.Elems(n.x)
	checks := []struct {
		name, want string
		err        error
	}{
		{"write bad id", "does not exist", prog.Write(-1, nil)},
		{"write past end", "does not exist", prog.Write(tensor.BufferID(len(n.plan.Buffers)), nil)},
		{"write too much", "holds", prog.Write(n.x, make([]float32, xs+1))},
		{"read too much", "holds", prog.Read(n.x, make([]float32, xs+1))},
		{"read bad id", "does not exist", prog.Read(99999, make([]float32, 1))},
		{"zero rows", "rows must be in 1..4", prog.Run(tensor.Predict, tensor.StepArgs{Rows: 0})},
		{"too many rows", "rows must be in 1..4", prog.Run(tensor.Predict, tensor.StepArgs{Rows: 5})},
		{"bad routine", "unknown routine", prog.Run(7, tensor.StepArgs{Rows: 1})},
		{"adam at step 0", "Step is 0", prog.Run(tensor.Train, tensor.StepArgs{Rows: 1})},
	}
	for _, c := range checks {
		if c.err == nil || !strings.Contains(c.err.Error(), c.want) {
			t.Errorf("%s: error %v, want one containing %q", c.name, c.err, c.want)
		}
	}
	if err := prog.Write(n.x, make([]float32, xs)); err != nil {
		t.Errorf("a full-size write failed: %v", err)
	}
	prog.Close()
	for name, err := range map[string]error{
		"write": prog.Write(n.x, nil), "read": prog.Read(n.x, nil), "run": prog.Run(tensor.Predict, tensor.StepArgs{Rows: 1}),
	} {
		if err == nil || !strings.Contains(err.Error(), "closed") {
			t.Errorf("%s after Close: %v", name, err)
		}
	}
}

// badOp is an op type the backend does not know.
type badOp struct{}

func (badOp) Accesses() []tensor.Access { return nil }

func TestCompileErrors(t *testing.T) {
	geom := tensor.ConvGeom{H: 2, W: 2, C: 1, KH: 1, KW: 1, SH: 1, SW: 1, OH: 0, OW: 2, F: 1}
	cases := []struct {
		name, want string
		op         func(p *tensor.Plan, a, b, c tensor.BufferID) tensor.Op
	}{
		{"unknown op", "does not implement", func(_ *tensor.Plan, _, _, _ tensor.BufferID) tensor.Op { return badOp{} }},
		{"missing buffer", "does not exist", func(_ *tensor.Plan, a, _, _ tensor.BufferID) tensor.Op {
			return tensor.Add{A: a, B: 42, Y: a, Size: 4}
		}},
		{"required operand absent", "required", func(_ *tensor.Plan, a, _, _ tensor.BufferID) tensor.Op {
			return tensor.Add{A: a, B: tensor.NoBuffer, Y: a, Size: 4}
		}},
		{"concat widths", "widths", func(_ *tensor.Plan, a, b, _ tensor.BufferID) tensor.Op {
			return tensor.Concat{Inputs: []tensor.BufferID{a, b}, Widths: []int{1}, Y: a, Outer: 1}
		}},
		{"sparse loss width 0", "Width", func(_ *tensor.Plan, a, b, c tensor.BufferID) tensor.Op {
			return tensor.Loss{Kind: tensor.SparseSoftmaxCrossentropy, Pred: a, Target: b, LossSum: c, Size: 4}
		}},
		{"softmax width", "divide", func(_ *tensor.Plan, a, b, _ tensor.BufferID) tensor.Op {
			return tensor.Activation{Fn: tensor.Softmax, X: a, Y: b, Size: 4, Width: 3}
		}},
		{"conv geometry", "positive", func(_ *tensor.Plan, a, b, c tensor.BufferID) tensor.Op {
			return tensor.Conv2D{X: a, W: c, Y: b, Geom: geom}
		}},
		{"sgd momentum without velocity", "Velocity", func(_ *tensor.Plan, _, _, c tensor.BufferID) tensor.Op {
			return tensor.SGDUpdate{Param: c, Grad: c, Velocity: tensor.NoBuffer, Size: 1, Momentum: 0.9}
		}},
		{"dropout rate 1", "rate", func(_ *tensor.Plan, a, b, _ tensor.BufferID) tensor.Op {
			return tensor.Dropout{X: a, Y: b, Size: 4, Rate: 1}
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := tensor.NewPlan(2)
			a := p.AddBuffer("a", tensor.ActivationBuffer, true, tensor.Shape{4})
			b := p.AddBuffer("b", tensor.ActivationBuffer, true, tensor.Shape{4})
			s := p.AddBuffer("s", tensor.AccumulatorBuffer, false, tensor.Shape{4})
			p.Emit(tensor.Eval, c.op(p, a, b, s))
			prog, err := New().Compile(p)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("Compile error %v, want one containing %q", err, c.want)
			}
			if prog != nil {
				t.Error("a failed Compile returned a non-nil program")
			}
		})
	}
	if _, err := New().Compile(nil); err == nil {
		t.Error("compiling a nil plan succeeded")
	}
}

// TestStatsCountTraffic: Stats counts each Run and each RunSteps as one
// submission, and the bytes Write (4 a float) and Upload (as given) copy.
func TestStatsCountTraffic(t *testing.T) {
	g := buildGatherNet(t, 4)
	d := g.data()
	prog := g.load(t, d)
	defer prog.Close()
	sr := prog.(tensor.StatsReporter)
	before := sr.Stats()
	must(t, prog.Write(g.table, d.table))                   // 256 floats
	must(t, prog.Upload(g.labels, 0, int32Bytes(d.labels))) // 11 int32
	must(t, prog.Run(tensor.Train, tensor.StepArgs{Rows: 4}))
	must(t, prog.RunSteps(tensor.Train, []tensor.StepArgs{{Rows: 4}, {Rows: 4, Start: 4}}))
	after := sr.Stats()
	if got, want := after.BytesUploaded-before.BytesUploaded, int64(4*256+4*11); got != want {
		t.Errorf("BytesUploaded grew by %d, want %d", got, want)
	}
	if got := after.Submissions - before.Submissions; got != 2 {
		t.Errorf("Submissions grew by %d, want 2 (one Run, one RunSteps)", got)
	}
}
