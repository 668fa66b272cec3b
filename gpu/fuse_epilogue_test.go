package gpu

import (
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/anvil-ml/anvil/cpuref"
	"github.com/anvil-ml/anvil/selftest"
	"github.com/anvil-ml/anvil/tensor"
)

// epiFns are the activations the epilogue applies: every elementwise one.
var epiFns = []tensor.ActFn{tensor.Linear, tensor.ReLU, tensor.LeakyReLU, tensor.Sigmoid, tensor.Tanh,
	tensor.GELU, tensor.SiLU, tensor.ELU, tensor.SELU, tensor.Softplus}

// epiChain is one product with what follows it in an epiPlan: its output
// (the biased product), the activation's output (the same buffer when in
// place or absent) and the length of its sums.
type epiChain struct {
	pre, out tensor.BufferID
	fn       tensor.ActFn
	terms    int
}

// epiPlan is a plan of products followed by a BiasAdd and an Activation,
// as nn lowers Dense and Conv2D layers, plus the variants the fusion
// takes: no bias, no activation, an activation in place.
type epiPlan struct {
	p      *tensor.Plan
	chains []epiChain
}

// newEpiPlan makes the plan at batch: MatMul + bias + each of epiFns into
// its own buffer; MatMul + ReLU in place without bias; MatMul + bias;
// Conv2D (stride 2, same) + bias + LeakyReLU; Conv2D + bias.
// fns are the activations of the MatMul + bias chains.
func newEpiPlan(t *testing.T, batch int, fns []tensor.ActFn) epiPlan {
	e := epiPlan{p: tensor.NewPlan(batch)}
	p := e.p
	const m, n, k = 3, 37, 29
	matmul := func(name string, bias bool, fn tensor.ActFn, inPlace bool) {
		a := p.AddBuffer(name+"/A", tensor.ActivationBuffer, true, tensor.Shape{m, k})
		w := p.AddBuffer(name+"/W", tensor.ParamBuffer, false, tensor.Shape{k, n})
		c := p.AddBuffer(name+"/pre", tensor.ActivationBuffer, true, tensor.Shape{m, n})
		p.Emit(tensor.Train, tensor.MatMul{A: a, B: w, C: c, M: m, N: n, K: k, Batch: tensor.BatchM})
		e.addTail(name, c, m, n, bias, fn, inPlace, k)
	}
	for _, fn := range fns {
		matmul(fmt.Sprintf("mm+bias+%v", fn), true, fn, false)
	}
	matmul("mm+relu_inplace", false, tensor.ReLU, true)
	matmul("mm+bias", true, -1, false)
	g, err := tensor.NewConvGeom(8, 7, 3, 3, 3, 2, 2, 5, tensor.Same)
	must(t, err)
	conv := func(name string, fn tensor.ActFn) {
		x := p.AddBuffer(name+"/X", tensor.ActivationBuffer, true, tensor.Shape{g.H, g.W, g.C})
		w := p.AddBuffer(name+"/W", tensor.ParamBuffer, false, tensor.Shape{g.KH, g.KW, g.C, g.F})
		y := p.AddBuffer(name+"/pre", tensor.ActivationBuffer, true, tensor.Shape{g.OH, g.OW, g.F})
		p.Emit(tensor.Train, tensor.Conv2D{X: x, W: w, Y: y, Geom: g})
		e.addTail(name, y, g.OH*g.OW, g.F, true, fn, false, g.KH*g.KW*g.C)
	}
	conv("conv+bias+leaky_relu", tensor.LeakyReLU)
	conv("conv+bias", -1)
	return e
}

// addTail emits the BiasAdd (if bias) and the Activation (unless fn < 0)
// of the product pre, rows×cols per sample.
func (e *epiPlan) addTail(name string, pre tensor.BufferID, rows, cols int, bias bool, fn tensor.ActFn, inPlace bool, terms int) {
	p := e.p
	if bias {
		b := p.AddBuffer(name+"/bias", tensor.ParamBuffer, false, tensor.Shape{cols})
		p.Emit(tensor.Train, tensor.BiasAdd{X: pre, Bias: b, Y: pre, Outer: rows, C: cols})
	}
	out := pre
	if fn >= 0 {
		if !inPlace {
			out = p.AddBuffer(name+"/out", tensor.ActivationBuffer, true, tensor.Shape{rows, cols})
		}
		p.Emit(tensor.Train, tensor.Activation{Fn: fn, X: pre, Y: out, Size: rows * cols, Width: cols, Alpha: 0.3})
	}
	e.chains = append(e.chains, epiChain{pre: pre, out: out, fn: fn, terms: terms})
}

// TestFuseEpiloguePlacement checks what fuses: each chain of newEpiPlan
// into one op, and not a MatMul batched along K, a softmax, an activation
// of another buffer, or one that writes the product's operand.
func TestFuseEpiloguePlacement(t *testing.T) {
	e := newEpiPlan(t, 2, epiFns)
	ops := e.p.Routines[tensor.Train]
	got := fuseEpilogue(ops)
	if len(got) != len(e.chains) {
		t.Fatalf("%d ops after fusion, want %d (one per chain)", len(got), len(e.chains))
	}
	for i, op := range got {
		if _, ok := op.(gemmEpi); !ok {
			t.Errorf("op %d is %T, want gemmEpi", i, op)
		}
	}
	mm, bias, act := ops[0].(tensor.MatMul), ops[1].(tensor.BiasAdd), ops[2].(tensor.Activation)
	for name, c := range map[string]struct {
		ops  []tensor.Op
		want int
	}{
		"batched along K": {[]tensor.Op{func() tensor.Op { o := mm; o.Batch = tensor.BatchK; return o }(), bias, act}, 3},
		"softmax":         {[]tensor.Op{mm, bias, func() tensor.Op { a := act; a.Fn = tensor.Softmax; return a }()}, 2},
		"other input":     {[]tensor.Op{mm, func() tensor.Op { a := act; a.X = mm.A; return a }()}, 2},
		"writes operand":  {[]tensor.Op{mm, bias, func() tensor.Op { a := act; a.Y = mm.A; return a }()}, 2},
		"bias elsewhere":  {[]tensor.Op{mm, func() tensor.Op { b := bias; b.Y = act.Y; return b }()}, 2},
	} {
		if got := fuseEpilogue(c.ops); len(got) != c.want {
			t.Errorf("%s: %d ops after fusion, want %d", name, len(got), c.want)
		}
	}
}

// TestFusedEpilogueParity runs newEpiPlan fused on every tile the
// candidate lists hold (so that the autotuner picks among tested kernels),
// with split-K on the default tile (whose reduction applies the
// epilogue), and checks:
//   - fused against unfused on the same device: bit for bit, since the
//     epilogue does bias_add's and activation's float32 operations in
//     their order;
//   - fused against cpuref's unfused ops: the biased product within the
//     GEMM bound SumTol(terms)·Σ|a·b| (+|bias|), and the activation within
//     its own tolerance plus twice that (no activation here has a slope
//     above 2: selu's steepest is 1.76);
//   - the dispatch count: one per chain (two with split-K).
func TestFusedEpilogueParity(t *testing.T) {
	bk := openBackend(t)
	for _, tl := range allTiles {
		// Tiles other than the default run two activations (a selection
		// and a transcendental one): the epilogue is the same code on all.
		splitCounts, fns := []int{0}, []tensor.ActFn{tensor.ReLU, tensor.Tanh}
		if isDefaultTile(bk, tl.tile) {
			splitCounts, fns = []int{0, 3}, epiFns
		}
		for _, splits := range splitCounts {
			t.Run(fmt.Sprintf("%s/splits=%d", tl.name, splits), func(t *testing.T) {
				skipUnlessFits(t, bk, tl.tile)
				withTile(tl.tile, splits, func() { checkEpiParity(t, bk, 5, 3, splits, fns) })
			})
		}
	}
	for _, sh := range shapes {
		t.Run("auto/"+shapeName(sh.batch, sh.rows), func(t *testing.T) {
			checkEpiParity(t, bk, sh.batch, sh.rows, 0, []tensor.ActFn{tensor.LeakyReLU, tensor.Sigmoid})
		})
	}
}

func checkEpiParity(t *testing.T, bk *Backend, batch, rows, splits int, fns []tensor.ActFn) {
	e := newEpiPlan(t, batch, fns)
	run := parityRun{plan: e.p, steps: steps(1, rows)}
	cpu, fused := run.run(t, bk)
	mag := cpuMagnitudes(t, e.p, rows)
	counts := compileGPU(t, bk, e.p).cmds[tensor.Train].Counts()
	perChain := 1
	if splits > 1 {
		perChain = 2 // the matmuls' reductions; the convolution forward never splits
	}
	if max := perChain * len(e.chains); counts.Dispatches > max {
		t.Errorf("fused: %d dispatches, want at most %d", counts.Dispatches, max)
	}
	for _, c := range e.chains {
		sum := selftest.SumTol(c.terms).Sum
		valid := rows * e.p.Buffers[c.pre].Shape.Size()
		if c.out == c.pre {
			checkEpiBuffer(t, e.p.Buffers[c.pre].Name, cpu[c.pre][:valid], fused[c.pre][:valid], mag[c.pre], 2*sum, selftest.ActivationTol(c.fn, false, 1))
			continue
		}
		checkEpiBuffer(t, e.p.Buffers[c.pre].Name, cpu[c.pre][:valid], fused[c.pre][:valid], mag[c.pre], sum, selftest.Tol{})
		checkEpiBuffer(t, e.p.Buffers[c.out].Name, cpu[c.out][:valid], fused[c.out][:valid], mag[c.pre], 2*sum, selftest.ActivationTol(c.fn, false, 1))
	}
	noFusion = true
	defer func() { noFusion = false }()
	_, unfused := run.run(t, bk)
	sameBits(t, e.p, fused, unfused)
}

// checkEpiBuffer fails t where got differs from want by more than
// sum·mag[i] plus act's tolerance.
func checkEpiBuffer(t *testing.T, name string, want, got, mag []float32, sum float64, act selftest.Tol) {
	t.Helper()
	for i := range want {
		lim := sum*float64(mag[i]) + act.Abs + act.Rel*math.Abs(float64(want[i]))
		if d := math.Abs(float64(got[i]) - float64(want[i])); !(d <= lim) {
			t.Fatalf("%s[%d]: fused %v, cpu %v (diff %.3g, tolerance %.3g)", name, i, got[i], want[i], d, lim)
		}
	}
}

// cpuMagnitudes runs plan's Train routine on cpuref from the absolute
// values of parityRun's default inputs and returns every buffer: for a
// product, Σ|a·b| (+|bias|), the scale of its rounding errors.
func cpuMagnitudes(t *testing.T, plan *tensor.Plan, rows int) [][]float32 {
	t.Helper()
	prog, err := cpuref.New().Compile(plan)
	must(t, err)
	defer prog.Close()
	for id := range plan.Buffers {
		bid := tensor.BufferID(id)
		must(t, prog.Write(bid, absValues(randomFloats(plan.Elems(bid), uint64(1000+id)))))
	}
	must(t, prog.Run(tensor.Train, steps(1, rows)[0]))
	out := make([][]float32, len(plan.Buffers))
	for id := range plan.Buffers {
		out[id] = make([]float32, plan.Elems(tensor.BufferID(id)))
		must(t, prog.Read(tensor.BufferID(id), out[id]))
	}
	return out
}

// TestTuneEpilogue checks that the tuner times fused products with their
// epilogue: each chain's shape is cached under a key that names the
// epilogue, the scratch program a candidate runs in is one fused dispatch,
// and the tuned results match cpuref as the untuned ones do.
func TestTuneEpilogue(t *testing.T) {
	dir := tuneFresh(t, time.Minute)
	bk := openBackend(t)
	const batch, rows = 4, 3
	e := newEpiPlan(t, batch, []tensor.ActFn{tensor.ReLU})
	before := tuneTimings.Load()
	cpu, tuned := parityRun{plan: e.p, steps: steps(1, rows)}.run(t, bk)
	if tuneTimings.Load() == before {
		t.Fatal("tuning timed nothing")
	}
	_, f := readTuneFile(t, dir)
	n := 0
	for key := range f.Choices {
		if strings.Contains(key, "epilogue{") {
			n++
		}
	}
	if n != len(e.chains) {
		t.Errorf("%d cached choices name an epilogue, want %d: %v", n, len(e.chains), f.Choices)
	}
	mag := cpuMagnitudes(t, e.p, rows)
	for _, c := range e.chains {
		valid := rows * e.p.Buffers[c.out].Shape.Size()
		checkEpiBuffer(t, e.p.Buffers[c.out].Name, cpu[c.out][:valid], tuned[c.out][:valid], mag[c.pre],
			2*selftest.SumTol(c.terms).Sum, selftest.ActivationTol(c.fn, false, 1))
	}
	// The program each candidate was timed in (its shape now cached, so
	// compiling it again times nothing).
	for _, op := range fuseEpilogue(e.p.Routines[tensor.Train]) {
		mini := scratchPlan(e.p, op)
		if c := compileGPU(t, bk, mini).cmds[tensor.Train].Counts(); c.Dispatches > 2 {
			t.Errorf("%s: the tuner's scratch program records %d dispatches, want the fused kernel's 1 (2 with split-K)",
				tuneKey(op, batch), c.Dispatches)
		}
	}
}
