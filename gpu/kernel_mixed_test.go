package gpu

import (
	"fmt"
	"math"
	"testing"

	"github.com/anvil-ml/anvil/cpuref"
	"github.com/anvil-ml/anvil/tensor"
)

// float16Specials are binary16 landmarks: the largest finite value and the
// halfway point above it, the smallest normal, the largest and smallest
// subnormals, ties at several exponents (which must go to even), and
// values below half the smallest subnormal.
var float16Specials = []float32{
	0, 1, -2, 65504, -65504, 65519.996, 6.1035156e-05, -6.1035156e-05, 6.0975552e-05,
	5.9604645e-08, 2.9802322e-08, 2.9802326e-08, 8.940697e-08, 1.00048828125,
	1.00146484375, 2049, -2051, 0.1, 1e-30, 6.1034e-05, 0.333333,
}

// sameBitsNaN compares float32 slices bit for bit, counting any two NaNs as
// equal (their payloads are the driver's choice).
func sameBitsNaN(want, got []float32) error {
	for i := range want {
		w, g := want[i], got[i]
		if math.Float32bits(w) != math.Float32bits(g) && !(w != w && g != g) {
			return fmt.Errorf("element %d: gpu %v (%#08x), cpu %v (%#08x)", i, g, math.Float32bits(g), w, math.Float32bits(w))
		}
	}
	return nil
}

// runPair compiles plan on the CPU and on b, writes in, runs one Train step
// with rows valid rows and reads back outs from both. Float16 buffers have
// no float32 view on the GPU, so tests only write and read float32 ones.
func runPair(t *testing.T, b *Backend, plan *tensor.Plan, in map[tensor.BufferID][]float32, rows int, outs []tensor.BufferID) (cpu, gpu [][]float32) {
	t.Helper()
	res := [2][][]float32{}
	for i, be := range []tensor.Backend{cpuref.New(), b} {
		prog, err := be.Compile(plan)
		if err != nil {
			t.Fatalf("%s: Compile: %v", be.Name(), err)
		}
		for id, data := range in {
			must(t, prog.Write(id, data))
		}
		must(t, prog.Run(tensor.Train, tensor.StepArgs{Rows: rows, Step: 1, LearningRate: 0.01, Seed: 7}))
		for _, id := range outs {
			buf := make([]float32, plan.Elems(id))
			must(t, prog.Read(id, buf))
			res[i] = append(res[i], buf)
		}
		prog.Close()
	}
	checkValidation(t, b)
	return res[0], res[1]
}

// TestCastParity rounds landmark and random values to binary16 on both
// backends: into a float32 buffer (cast.comp) and, through float16 storage,
// read back by a product with the identity (cast_f16.comp, then
// matmul_f16: each output is one input times 1 plus zeros, exact). The
// shaders round bit by bit as tensor.Float16Bits does, so results must be
// bit-identical, Inf and NaN included in the float32 path.
func TestCastParity(t *testing.T) {
	b := openBackend(t)
	const k = 24
	for _, sh := range shapes {
		t.Run(shapeName(sh.batch, sh.rows), func(t *testing.T) {
			p := tensor.NewPlan(sh.batch)
			x := p.AddBuffer("x", tensor.ActivationBuffer, true, tensor.Shape{k})
			y := p.AddBuffer("y", tensor.ActivationBuffer, true, tensor.Shape{k})
			xf := p.AddBuffer("x_finite", tensor.ActivationBuffer, true, tensor.Shape{k})
			x16 := p.AddBuffer("x16", tensor.ActivationBuffer, true, tensor.Shape{k})
			p.Buffers[x16].DType = tensor.Float16
			eye := p.AddBuffer("eye", tensor.ParamBuffer, false, tensor.Shape{k * k})
			eye16 := p.AddBuffer("eye16", tensor.ActivationBuffer, false, tensor.Shape{k * k})
			p.Buffers[eye16].DType = tensor.Float16
			c := p.AddBuffer("c", tensor.ActivationBuffer, true, tensor.Shape{k})
			p.Emit(tensor.Train, tensor.Cast{X: x, Y: y, Size: k, Batched: true})
			p.Emit(tensor.Train, tensor.Cast{X: xf, Y: x16, Size: k, Batched: true})
			p.Emit(tensor.Train, tensor.Cast{X: eye, Y: eye16, Size: k * k})
			p.Emit(tensor.Train, tensor.MatMul{A: x16, B: eye16, C: c, M: 1, N: k, K: k, Batch: tensor.BatchM})
			// x: some values overflow binary16, plus Inf and NaN; x_finite:
			// every value rounds to a finite one (an Inf would make its whole
			// row NaN through Inf·0 in the identity product).
			xs, fs := scaled(sh.batch*k, 11, 70000), scaled(sh.batch*k, 12, 65000)
			specials := append(append([]float32{}, float16Specials...), float32(math.Inf(-1)), float32(math.NaN()))
			for i, v := range specials {
				xs[i%len(xs)] = v
				if i < len(float16Specials) {
					fs[i%len(fs)] = v
				}
			}
			ident := make([]float32, k*k)
			for i := range k {
				ident[i*k+i] = 1
			}
			in := map[tensor.BufferID][]float32{x: xs, xf: fs, eye: ident, y: make([]float32, sh.batch*k), c: make([]float32, sh.batch*k)}
			cpu, gpu := runPair(t, b, p, in, sh.rows, []tensor.BufferID{y, c})
			if err := sameBitsNaN(cpu[0], gpu[0]); err != nil {
				t.Errorf("cast to float32: %v", err)
			}
			if err := sameBitsNaN(cpu[1], gpu[1]); err != nil {
				t.Errorf("cast to float16 storage, read by matmul_f16: %v", err)
			}
			for i := range sh.rows * k {
				if want := tensor.RoundFloat16(fs[i]); cpu[1][i] != want {
					t.Fatalf("cpu identity product [%d] = %v, want %v", i, cpu[1][i], want)
				}
			}
		})
	}
}

// TestMatMulF16Parity runs the binary16 MatMul: on the tile the device
// picks, products with both batch axes, all transposes and sizes no tile
// divides, and an aligned one (the 16-byte f16vec4 loads); on every other
// tile the device can run, one unaligned product and one aligned one with
// both operands transposed, which between them take each load path of the
// tile (scalar and vec4, k-fast and not).
func TestMatMulF16Parity(t *testing.T) {
	b := openBackend(t)
	type product struct {
		m, n, k int
		ta, tb  bool
		axis    tensor.BatchAxis
	}
	all := []product{
		{7, 13, 21, false, false, tensor.BatchM},
		{9, 5, 3, true, false, tensor.BatchK},
		{11, 6, 17, false, true, tensor.BatchNone},
		{5, 3, 19, true, true, tensor.BatchM},
		{64, 64, 64, false, false, tensor.BatchNone},
	}
	const batch, rows = 5, 3
	var parts []opPart
	for _, c := range all {
		parts = append(parts, matMulPart(c.m, c.n, c.k, c.ta, c.tb, c.axis, rows))
	}
	t.Run("default", func(t *testing.T) { checkHalf(t, b, newMultiCase(batch, rows, parts...)) })
	// The coop tiles too, where the device has them (coopNamed logs when not).
	for _, tl := range append(append([]namedTile{}, allTiles...), coopNamed(t, b)...) {
		if isDefaultTile(b, tl.tile) {
			continue
		}
		t.Run(tl.name, func(t *testing.T) {
			skipUnlessFits(t, b, tl.tile)
			withTile(tl.tile, 0, func() {
				checkHalf(t, b, newMultiCase(batch, rows, parts[0], matMulPart(64, 64, 64, true, true, tensor.BatchNone, rows)))
			})
		})
	}
}

// TestConvF16Parity runs the three binary16 convolutions with the tile the
// device picks on three geometries of convGeoms (1×1 with stride 2, an even
// kernel with stride 2 and odd padding, channels and filters past a tile
// edge; the float32 tests cover the index arithmetic, which the binary16
// shaders share), and on the last of them with every other tile.
func TestConvF16Parity(t *testing.T) {
	b := openBackend(t)
	const batch, rows = 3, 2
	all := func(g tensor.ConvGeom) opCase {
		var parts []opPart
		for _, cc := range convCases {
			parts = append(parts, cc.part(g, rows))
		}
		return newMultiCase(batch, rows, parts...)
	}
	for _, i := range []int{1, 5, len(convGeoms) - 1} {
		g := makeGeom(t, i)
		t.Run(geomName(g), func(t *testing.T) { checkHalf(t, b, all(g)) })
	}
	g := makeGeom(t, len(convGeoms)-1)
	for _, tl := range allTiles {
		if isDefaultTile(b, tl.tile) {
			continue
		}
		t.Run(tl.name, func(t *testing.T) {
			skipUnlessFits(t, b, tl.tile)
			withTile(tl.tile, 0, func() { checkHalf(t, b, all(g)) })
		})
	}
}

// checkHalf turns c's products into binary16 ones (a Cast of each operand
// into a Float16 buffer before the product, as nn's mixed precision
// lowers them), runs the case on both backends and compares what the
// products write. Both multiply the same binary16 values in float32 and
// differ only in the order of the sums: selftest.SumTol over Σ|a·b|, which
// the CPU computes from |inputs| (rounding commutes with |·|), as
// opCase.check does for float32.
func checkHalf(t *testing.T, b *Backend, c opCase) {
	t.Helper()
	p := c.plan
	cast := func(id tensor.BufferID, out *[]tensor.Op) tensor.BufferID {
		src := p.Buffers[id]
		h := p.AddBuffer(src.Name+"/f16", tensor.ActivationBuffer, src.Batched, src.Shape)
		p.Buffers[h].DType = tensor.Float16
		*out = append(*out, tensor.Cast{X: id, Y: h, Size: src.Shape.Size(), Batched: src.Batched})
		return h
	}
	var ops []tensor.Op
	for _, op := range p.Routines[tensor.Train] {
		switch o := op.(type) {
		case tensor.MatMul:
			o.A, o.B = cast(o.A, &ops), cast(o.B, &ops)
			op = o
		case tensor.Conv2D:
			o.X, o.W = cast(o.X, &ops), cast(o.W, &ops)
			op = o
		case tensor.Conv2DBackwardData:
			o.DY, o.W = cast(o.DY, &ops), cast(o.W, &ops)
			op = o
		case tensor.Conv2DBackwardFilter:
			o.X, o.DY = cast(o.X, &ops), cast(o.DY, &ops)
			op = o
		default:
			t.Fatalf("checkHalf: %T is not a product", op)
		}
		ops = append(ops, op)
	}
	p.Routines[tensor.Train] = ops
	in := map[tensor.BufferID][]float32{}
	for _, a := range c.accesses(false) {
		if p.Buffers[a.Buf].DType == tensor.Float32 {
			in[a.Buf] = randomFloats(p.Elems(a.Buf), 77+uint64(a.Buf))
		}
	}
	var outs []tensor.BufferID
	for _, a := range c.outputs() {
		if p.Buffers[a.Buf].DType == tensor.Float32 {
			outs = append(outs, a.Buf)
		}
	}
	cpu, gpu := runPair(t, b, p, in, c.rows, outs)
	for id, v := range in {
		in[id] = absValues(v)
	}
	mag, _ := runPair(t, b, p, in, c.rows, outs)
	for i, id := range outs {
		valid := p.Elems(id)
		if p.Buffers[id].Batched {
			valid = c.rows * p.Buffers[id].Shape.Size()
		}
		bound := halfSumTol(c.terms[id])
		for j := range valid {
			if d := math.Abs(float64(gpu[i][j] - cpu[i][j])); !(d <= bound*float64(mag[i][j])) {
				t.Fatalf("%s[%d]: gpu %v, cpu %v (tolerance %.3g)", p.Buffers[id].Name, j, gpu[i][j], cpu[i][j], bound*float64(mag[i][j]))
			}
		}
	}
}

// TestLossScaleOpsParity runs a loss-scaled update over several steps, the
// gradient holding an Inf in one step and a NaN in another: ApplyLossScale,
// UnscaleGrad, CopyBuffer, a stand-in update (Add), RevertIfFound and
// UpdateLossScale with growth every 2 finite steps. Each is a power-of-two
// scaling, a copy or a select, so every buffer must match bit for bit,
// step after step.
func TestLossScaleOpsParity(t *testing.T) {
	b := openBackend(t)
	const n, w = 300, 7
	p := tensor.NewPlan(5)
	dl := p.AddBuffer("dloss", tensor.GradientBuffer, true, tensor.Shape{w})
	g := p.AddBuffer("grad", tensor.GradientBuffer, false, tensor.Shape{n})
	ls := p.AddBuffer("loss_scale", tensor.StateBuffer, false, tensor.Shape{tensor.LossScaleSize})
	found := p.AddBuffer("found", tensor.StateBuffer, false, tensor.Shape{1})
	param := p.AddBuffer("param", tensor.ParamBuffer, false, tensor.Shape{n})
	backup := p.AddBuffer("backup", tensor.ActivationBuffer, false, tensor.Shape{n})
	p.Emit(tensor.Train, tensor.ApplyLossScale{X: dl, LossScale: ls, Size: w, Batched: true})
	p.Emit(tensor.Train, tensor.UnscaleGrad{Grad: g, LossScale: ls, Found: found, Size: n})
	p.Emit(tensor.Train, tensor.CopyBuffer{X: param, Y: backup, Size: n})
	p.Emit(tensor.Train, tensor.Add{A: param, B: g, Y: param, Size: n, Unbatched: true})
	p.Emit(tensor.Train, tensor.RevertIfFound{Backup: backup, Y: param, Found: found, Size: n})
	p.Emit(tensor.Train, tensor.UpdateLossScale{LossScale: ls, Found: found, GrowthSteps: 2})
	grads := func(i int) []float32 {
		v := scaled(n, uint64(40+i), 1000)
		switch i {
		case 1:
			v[n-1] = float32(math.Inf(-1)) // the last element: another workgroup than the first
		case 4:
			v[3] = float32(math.NaN())
		}
		return v
	}
	pr := parityRun{plan: p, steps: steps(7, 3),
		init: func(id tensor.BufferID, size int) []float32 {
			switch id {
			case ls:
				return []float32{1024, 0}
			case found:
				return []float32{0}
			}
			return nil
		},
		before: func(i int, write func(tensor.BufferID, []float32)) { write(g, grads(i)) },
	}
	cpu, gpu := pr.run(t, b)
	for id := range p.Buffers {
		if err := sameBitsNaN(cpu[id], gpu[id]); err != nil {
			t.Errorf("buffer %q: %v", p.Buffers[id].Name, err)
		}
	}
	// Steps 0..6: finite, Inf (halve), finite, finite (double), NaN
	// (halve), finite, finite (double): 1024 → 512 → 1024 → 512 → 1024.
	if cpu[ls][0] != 1024 || cpu[ls][1] != 0 || cpu[found][0] != 0 {
		t.Errorf("loss scale after 7 steps: %v, found %v; want [1024 0] and 0", cpu[ls], cpu[found])
	}
}
