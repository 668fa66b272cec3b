package gpu

import (
	"fmt"
	"math"
	"os"
	"slices"
	"testing"
	"time"

	"github.com/anvil-ml/anvil/cpuref"
	"github.com/anvil-ml/anvil/gpu/internal/vk"
	"github.com/anvil-ml/anvil/selftest"
	"github.com/anvil-ml/anvil/tensor"
)

// The GEMM-family kernel tests compile one-op plans on the Vulkan backend
// and on cpuref, run them and compare every buffer the op writes.

// untouchedMark fills written buffers before a run, so that a test can tell the
// rows an op left alone.
const untouchedMark = float32(-12345.5)

// opCase is a plan of one or more independent ops (each with buffers of
// its own) and the row count to run it with. Several ops in one plan share
// one compiled program, and so its pipelines: lavapipe compiles each
// pipeline of each program on first use, about a second for the
// shared-memory tiles.
type opCase struct {
	plan *tensor.Plan
	rows int
	// terms is, per written buffer, the longest sum behind one of its
	// elements (K of the GEMM, the window of a pooling): the error bound
	// grows with it.
	terms map[tensor.BufferID]int
}

// opPart adds one op to a plan and says how many terms its sums have.
type opPart func(p *tensor.Plan) (tensor.Op, int)

func newOpCase(batch, rows, terms int, build func(p *tensor.Plan) tensor.Op) opCase {
	return newMultiCase(batch, rows, func(p *tensor.Plan) (tensor.Op, int) { return build(p), terms })
}

func newMultiCase(batch, rows int, parts ...opPart) opCase {
	c := opCase{plan: tensor.NewPlan(batch), rows: rows, terms: map[tensor.BufferID]int{}}
	for _, part := range parts {
		op, terms := part(c.plan)
		c.plan.Emit(tensor.Train, op)
		for _, a := range op.Accesses() {
			if a.Write {
				c.terms[a.Buf] = terms
			}
		}
	}
	return c
}

// accesses lists what the plan's ops touch.
func (c opCase) accesses(write bool) []tensor.Access {
	var out []tensor.Access
	for _, op := range c.plan.Routines[tensor.Train] {
		for _, a := range op.Accesses() {
			if a.Write == write && a.Buf != tensor.NoBuffer {
				out = append(out, a)
			}
		}
	}
	return out
}

// inputs returns random data in [-1, 1) for every buffer the ops read.
func (c opCase) inputs(seed uint64) map[tensor.BufferID][]float32 {
	in := map[tensor.BufferID][]float32{}
	for _, a := range c.accesses(false) {
		in[a.Buf] = randomFloats(c.plan.Elems(a.Buf), seed+uint64(a.Buf))
	}
	return in
}

// outputs lists the buffers the ops write.
func (c opCase) outputs() []tensor.Access { return c.accesses(true) }

// runCPU runs the case on cpuref and returns the written buffers.
func (c opCase) runCPU(t *testing.T, in map[tensor.BufferID][]float32) map[tensor.BufferID][]float32 {
	t.Helper()
	prog, err := cpuref.New().Compile(c.plan)
	must(t, err)
	defer prog.Close()
	return c.run(t, prog, in)
}

// runGPU runs the case on b and returns the written buffers.
func (c opCase) runGPU(t *testing.T, b *Backend, in map[tensor.BufferID][]float32) map[tensor.BufferID][]float32 {
	t.Helper()
	prog, err := b.Compile(c.plan)
	must(t, err)
	defer prog.Close()
	return c.run(t, prog, in)
}

func (c opCase) run(t *testing.T, prog tensor.Program, in map[tensor.BufferID][]float32) map[tensor.BufferID][]float32 {
	t.Helper()
	for id, data := range in {
		must(t, prog.Write(id, data))
	}
	for _, a := range c.outputs() {
		must(t, prog.Write(a.Buf, filledWith(c.plan.Elems(a.Buf), untouchedMark)))
	}
	must(t, prog.Run(tensor.Train, tensor.StepArgs{Rows: c.rows, Step: 1, LearningRate: 0.01, Seed: 7}))
	out := map[tensor.BufferID][]float32{}
	for _, a := range c.outputs() {
		out[a.Buf] = make([]float32, c.plan.Elems(a.Buf))
		must(t, prog.Read(a.Buf, out[a.Buf]))
	}
	return out
}

func filledWith(n int, v float32) []float32 {
	s := make([]float32, n)
	for i := range s {
		s[i] = v
	}
	return s
}

func absValues(s []float32) []float32 {
	out := make([]float32, len(s))
	for i, v := range s {
		out[i] = float32(math.Abs(float64(v)))
	}
	return out
}

// check runs c on the GPU and on cpuref and compares the written buffers.
//
// Tolerance: both backends sum the same `terms` products in float32, in
// different orders: selftest.SumTol, a multiple of Σ|a·b|. Σ|a·b| itself is
// the op run on cpuref with every input replaced by its absolute value,
// which is exact for ops linear in each input (the GEMMs) and an upper
// bound of the output for pooling.
func (c opCase) check(t *testing.T, b *Backend) {
	t.Helper()
	in := c.inputs(uint64(c.rows)*1000 + uint64(len(c.plan.Buffers)))
	got := c.runGPU(t, b, in)
	checkValidation(t, b)
	want := c.runCPU(t, in)
	absIn := map[tensor.BufferID][]float32{}
	for id, v := range in {
		absIn[id] = absValues(v)
	}
	mag := c.runCPU(t, absIn)
	for _, a := range c.outputs() {
		bound := selftest.SumTol(c.terms[a.Buf]).Sum
		name := c.plan.Buffers[a.Buf].Name
		valid := c.plan.Elems(a.Buf)
		if a.Batched {
			valid = c.rows * a.Elems
		}
		g, w, m := got[a.Buf], want[a.Buf], mag[a.Buf]
		for i := range valid {
			tol := bound * float64(m[i])
			if diff := math.Abs(float64(g[i] - w[i])); !(diff <= tol) {
				t.Fatalf("%s[%d] of %d: got %v, want %v (diff %.3g, tolerance %.3g)", name, i, valid, g[i], w[i], diff, tol)
			}
		}
		for i := valid; i < len(g); i++ {
			if g[i] != untouchedMark {
				t.Fatalf("%s[%d]: got %v past the %d valid rows, want it untouched", name, i, g[i], c.rows)
			}
		}
	}
}

// withTile runs f with the GEMM tile (and split count, when positive)
// forced.
func withTile(t gemmTile, splits int, f func()) {
	saveT, saveS := gemmTileOverride, gemmSplitOverride
	defer func() { gemmTileOverride, gemmSplitOverride = saveT, saveS }()
	gemmTileOverride, gemmSplitOverride = &t, splits
	f()
}

// skipUnlessFits skips a test of a tile the device cannot run (the
// subgroup variant off lavapipe).
func skipUnlessFits(t *testing.T, b *Backend, tile gemmTile) {
	t.Helper()
	if err := tile.check(b.Info()); err != nil {
		t.Skip(err)
	}
}

// allTiles names every tile a device may pick or tune among (the
// candidate lists of gemm_candidates.go), so that lavapipe covers the GPU
// ones too and a new candidate is tested as soon as it is listed.
var allTiles = func() []namedTile {
	var out []namedTile
	for _, t := range append(append([]gemmTile{}, cpuTiles...), gpuTiles...) {
		if !slices.ContainsFunc(out, func(n namedTile) bool { return n.tile == t }) {
			out = append(out, namedTile{t.name(), t})
		}
	}
	return out
}()

type namedTile struct {
	name string
	tile gemmTile
}

// matMulPart is a MatMul of per-sample sizes m, n, k with buffers named
// after it, for a plan whose batch is multiplied in at rows valid rows.
func matMulPart(m, n, k int, ta, tb bool, axis tensor.BatchAxis, rows int) opPart {
	return func(p *tensor.Plan) (tensor.Op, int) {
		o := tensor.MatMul{M: m, N: n, K: k, TransA: ta, TransB: tb, Batch: axis}
		acc := o.Accesses()
		name := fmt.Sprintf("%dx%dx%d/axis%d/ta=%v,tb=%v/", m, n, k, axis, ta, tb)
		o.A = p.AddBuffer(name+"A", tensor.ActivationBuffer, acc[0].Batched, tensor.Shape{m * k})
		o.B = p.AddBuffer(name+"B", tensor.ParamBuffer, acc[1].Batched, tensor.Shape{k * n})
		o.C = p.AddBuffer(name+"C", tensor.ActivationBuffer, acc[2].Batched, tensor.Shape{m * n})
		if axis == tensor.BatchK {
			return o, k * rows
		}
		return o, k
	}
}

// matMulCase is one MatMul on a plan of batch samples, run with rows of
// them valid.
func matMulCase(m, n, k int, ta, tb bool, axis tensor.BatchAxis, batch, rows int) opCase {
	return newMultiCase(batch, rows, matMulPart(m, n, k, ta, tb, axis, rows))
}

// TestMatMulKernel covers every tile, transpose pair and batch axis on
// sizes that are not multiples of any tile, with a short batch: one plan
// of nine products per tile and transpose pair. Tiles the device would
// not pick run the two transpose pairs that between them load each
// operand in both orders (k-fast and not); the other two differ only in
// the accessors the default tile covers.
func TestMatMulKernel(t *testing.T) {
	b := openBackend(t)
	shapes := [][3]int{{1, 1, 1}, {37, 29, 53}, {70, 130, 17}}
	axes := []tensor.BatchAxis{tensor.BatchNone, tensor.BatchM, tensor.BatchK}
	const batch, rows = 3, 2
	for _, tl := range allTiles {
		pairs := [][2]bool{{false, false}, {true, true}}
		if isDefaultTile(b, tl.tile) {
			pairs = append(pairs, [2]bool{true, false}, [2]bool{false, true})
		}
		for _, tr := range pairs {
			t.Run(fmt.Sprintf("%s/ta=%v,tb=%v", tl.name, tr[0], tr[1]), func(t *testing.T) {
				skipUnlessFits(t, b, tl.tile)
				var parts []opPart
				tileShapes := shapes
				if tl.tile.Warp { // whole tiles: the aligned, 16-byte path
					tileShapes = append(tileShapes, [3]int{tl.tile.BM, tl.tile.BN, 2 * tl.tile.BK})
				}
				for _, s := range tileShapes {
					for _, axis := range axes {
						parts = append(parts, matMulPart(s[0], s[1], s[2], tr[0], tr[1], axis, rows))
					}
				}
				withTile(tl.tile, 0, func() { newMultiCase(batch, rows, parts...).check(t, b) })
			})
		}
	}
}

// isDefaultTile reports whether tile is what b's device picks for a
// mid-sized product.
func isDefaultTile(b *Backend, tile gemmTile) bool {
	def, err := chooseTile(b.Info(), 256, 256)
	return err == nil && def == tile
}

// TestMatMulBatchRows runs one recorded product at every valid row count,
// batch 1 included, for both batched axes.
func TestMatMulBatchRows(t *testing.T) {
	b := openBackend(t)
	for _, batch := range []int{1, 5} {
		for rows := 1; rows <= batch; rows++ {
			for _, axis := range []tensor.BatchAxis{tensor.BatchM, tensor.BatchK} {
				t.Run(fmt.Sprintf("batch%d/rows%d/axis%d", batch, rows, axis), func(t *testing.T) {
					matMulCase(9, 70, 33, false, axis == tensor.BatchK, axis, batch, rows).check(t, b)
				})
			}
		}
	}
}

// TestMatMulSplitK sums K in slices and reduces them, with slices that
// are empty when the batch is short (two slice counts on the default tile,
// one on the others).
func TestMatMulSplitK(t *testing.T) {
	b := openBackend(t)
	for _, tl := range allTiles {
		counts := []int{3}
		if isDefaultTile(b, tl.tile) {
			counts = []int{2, 7}
		}
		for _, splits := range counts {
			for _, rows := range []int{1, 4} {
				t.Run(fmt.Sprintf("%s/splits%d/rows%d", tl.name, splits, rows), func(t *testing.T) {
					skipUnlessFits(t, b, tl.tile)
					withTile(tl.tile, splits, func() {
						newMultiCase(4, rows,
							matMulPart(33, 65, 150, true, false, tensor.BatchNone, rows),
							matMulPart(33, 65, 150, true, false, tensor.BatchK, rows),
							matMulPart(9, 65, 150, true, false, tensor.BatchM, rows)).check(t, b)
					})
				})
			}
		}
	}
}

// TestMatMulChoosesSplits checks the automatic choice: a small output with
// a long K splits, a large one does not, and the result still matches.
func TestMatMulChoosesSplits(t *testing.T) {
	b := openBackend(t)
	info := b.Info()
	tile, err := chooseTile(info, 16, 16)
	must(t, err)
	if s := chooseSplits(info, tile, 16, 16, 8192); s < 2 {
		t.Errorf("16×16 output with K=8192: %d splits, want several", s)
	}
	if s := chooseSplits(info, tile, 4096, 4096, 8192); s != 1 {
		t.Errorf("4096×4096 output: %d splits, want 1", s)
	}
	matMulCase(16, 16, 1024, true, false, tensor.BatchK, 8, 7).check(t, b)
}

// TestGemmChoices checks the tile and split-K choices for the devices
// Anvil targets, without a device: shared-memory tiles on GPUs (the large
// one for large products, a smaller one where shared memory is short),
// the subgroup variant on lavapipe only, and split-K where a product has
// few output tiles and a long K (the reference networks' dense forward and
// filter gradients at batch 32).
func TestGemmChoices(t *testing.T) {
	gpuInfo := vk.Info{Name: "NVIDIA H100", DeviceType: vk.DiscreteDevice, SubgroupSize: 32,
		MaxSharedMemory: 48 << 10, MaxWorkgroupInvocations: 1024}
	lvp := vk.Info{Name: "llvmpipe (LLVM 15.0.6, 256 bits)", DeviceType: vk.CPUDevice, SubgroupSize: 8,
		MaxSharedMemory: 32 << 10, MaxWorkgroupInvocations: 1024}
	otherCPU := lvp
	otherCPU.Name, otherCPU.SubgroupSize = "SwiftShader Device", 4
	small := gpuInfo
	small.MaxSharedMemory = 4 << 10
	for _, c := range []struct {
		name string
		info vk.Info
		m, n int
		want gemmTile
	}{
		{"gpu/dense", gpuInfo, 32, 200, tileGPU},
		{"gpu/large", gpuInfo, 4096, 4096, tileGPULarge},
		{"gpu/little-shared", small, 4096, 4096, tileCPU},
		{"lavapipe", lvp, 4096, 4096, tileSubgroup},
		{"other-cpu", otherCPU, 64, 64, tileCPU},
	} {
		got, err := chooseTile(c.info, c.m, c.n)
		if err != nil || got != c.want {
			t.Errorf("%s: chooseTile(%d, %d) = %+v, %v; want %+v", c.name, c.m, c.n, got, err, c.want)
		}
	}
	for _, c := range []struct {
		name       string
		info       vk.Info
		m, n, k    int
		minS, maxS int
	}{
		{"gpu/dense-forward", gpuInfo, 32, 200, 3072, 8, 12},
		{"gpu/conv-filter", gpuInfo, 288, 32, 32 * 32 * 32, 64, 64},
		{"gpu/square", gpuInfo, 4096, 4096, 4096, 1, 1},
		{"gpu/short-k", gpuInfo, 32, 3072, 200, 1, 1},
		{"lavapipe/conv-filter", lvp, 288, 32, 32 * 32 * 32, 1, 1}, // 36 tiles keep 2 cores busy
	} {
		tile, err := chooseTile(c.info, c.m, c.n)
		must(t, err)
		if s := chooseSplits(c.info, tile, c.m, c.n, c.k); s < c.minS || s > c.maxS {
			t.Errorf("%s: %d splits, want %d..%d", c.name, s, c.minS, c.maxS)
		}
	}
}

// BenchmarkMatMulGPU times square products on the device the environment
// selects, with the tile it picks and with each tile forced, and reports
// GFLOP/s of GPU time (timestamps around the recorded dispatches).
func BenchmarkMatMulGPU(b *testing.B) {
	be, err := NewBackend(vk.Options{})
	if err != nil {
		b.Skip(err)
	}
	defer be.Close()
	for _, n := range []int{256, 1024} {
		variants := append([]namedTile{{"auto", gemmTile{}}}, allTiles...)
		if env := os.Getenv("ANVIL_BENCH_TILE"); env != "" { // BM,BN,BK,TM,TN,shared,subgroup
			var t gemmTile
			var sh, sg int
			if _, err := fmt.Sscanf(env, "%d,%d,%d,%d,%d,%d,%d", &t.BM, &t.BN, &t.BK, &t.TM, &t.TN, &sh, &sg); err != nil {
				b.Fatalf("ANVIL_BENCH_TILE=%q: want BM,BN,BK,TM,TN,shared,subgroup: %v", env, err)
			}
			t.Shared, t.Subgroup = sh != 0, sg != 0
			variants = variants[:0]
			variants = append(variants, namedTile{env, t})
		}
		for _, v := range variants {
			b.Run(fmt.Sprintf("%d/%s", n, v.name), func(b *testing.B) {
				if v.name != "auto" {
					save := gemmTileOverride
					defer func() { gemmTileOverride = save }()
					gemmTileOverride = &v.tile
				}
				c := matMulCase(n, n, n, false, false, tensor.BatchNone, 1, 1)
				benchGPU(b, be, c, 2*float64(n)*float64(n)*float64(n))
			})
		}
	}
}

// replayGPUSeconds replays prog's Train routine with args b.N times and
// returns the mean GPU time of a replay, in seconds.
func replayGPUSeconds(b *testing.B, prog tensor.Program, args tensor.StepArgs) float64 {
	cmds := prog.(*program).cmds[tensor.Train]
	var gpu time.Duration
	for b.Loop() {
		if err := prog.Run(tensor.Train, args); err != nil {
			b.Fatal(err)
		}
		dt, err := cmds.GPUTime()
		if err != nil {
			b.Fatal(err)
		}
		gpu += dt
	}
	sec := gpu.Seconds() / float64(b.N)
	return sec
}

// benchGPU replays c's recorded routine and reports GPU time per replay
// and the GFLOP/s that flops per replay make of it.
func benchGPU(b *testing.B, be *Backend, c opCase, flops float64) {
	prog, err := be.Compile(c.plan)
	if err != nil {
		b.Fatal(err)
	}
	defer prog.Close()
	for id, data := range c.inputs(1) {
		if err := prog.Write(id, data); err != nil {
			b.Fatal(err)
		}
	}
	args := tensor.StepArgs{Rows: c.rows, Step: 1}
	if err := prog.Run(tensor.Train, args); err != nil { // warm-up
		b.Fatal(err)
	}
	sec := replayGPUSeconds(b, prog, args)
	b.ReportMetric(sec*1e9, "gpu-ns/op")
	b.ReportMetric(flops/sec/1e9, "GFLOP/s")
}
