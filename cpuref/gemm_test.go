package cpuref

import (
	"fmt"
	"math"
	"math/big"
	"testing"
	"time"
)

// u is float32's unit roundoff, 2⁻²⁴.
const u = 1.0 / (1 << 24)

// gemmTolerance is the error allowed in an element of a float32 product
// of depth k whose terms have absolute sum abs: each of the k fused
// multiply-adds (and the final add to C) rounds once by at most u of the
// running sum, and independent roundings grow like √k, not k; the factor 4
// covers the tail of that distribution (the worst seen on these tests, for
// every kernel, was 1.1), and k·u·abs, the deterministic worst case,
// would hide real errors of a few ulps on long sums.
func gemmTolerance(k int, abs float64) float64 {
	return 4*math.Sqrt(float64(k+1))*u*abs + 1e-30
}

// newTestGemm returns a gemm in a bare program, with its scratch.
func newTestGemm(m, n, k int) *gemm {
	p := &program{}
	g := p.newGemm(m, n, k)
	p.allocScratch()
	return g
}

// gemmCase runs C = op(A)·op(B) + beta·C for one shape and checks every
// element against the float64 reference, with workers w.
func gemmCase(t *testing.T, seed uint64, m, n, k int, tA, tB bool, beta float32, ws []int) {
	t.Helper()
	rng := newRand(seed)
	a, b := uniform(rng, m*k, -1, 1), uniform(rng, k*n, -1, 1)
	c0 := uniform(rng, m*n, -1, 1)
	want := refMatMul(f64(a), f64(b), m, n, k, tA, tB)
	abs := refMatMul(absF64(a), absF64(b), m, n, k, tA, tB)
	g := newTestGemm(m, n, k)
	var first []float32
	for _, w := range ws {
		c := append([]float32(nil), c0...)
		g.set(tA, tB, m, n, k, a, b, beta, c)
		g.runFor(w)
		for i := range want {
			wv, av := want[i], abs[i]
			if beta != 0 {
				wv += float64(c0[i])
				av += math.Abs(float64(c0[i]))
			}
			if d := math.Abs(float64(c[i]) - wv); !(d <= gemmTolerance(k, av)) {
				t.Fatalf("w=%d: C[%d,%d] = %v, want %v (error %.3g, tolerance %.3g)",
					w, i/n, i%n, c[i], wv, d, gemmTolerance(k, av))
			}
		}
		if first == nil {
			first = c
			continue
		}
		for i := range c {
			if math.Float32bits(c[i]) != math.Float32bits(first[i]) {
				t.Fatalf("C[%d] with %d workers is %v, with %d it is %v: the sum order moved", i, w, c[i], ws[0], first[i])
			}
		}
	}
	// A product computed swapped (Cᵀ = op(B)ᵀ·op(A)ᵀ) must round exactly
	// as the direct one.
	if g.swapped != nil {
		g.swapped = nil
		c := append([]float32(nil), c0...)
		g.set(tA, tB, m, n, k, a, b, beta, c)
		g.run()
		for i := range c {
			if math.Float32bits(c[i]) != math.Float32bits(first[i]) {
				t.Fatalf("C[%d] is %v unswapped, %v swapped", i, c[i], first[i])
			}
		}
	}
}

func absF64(x []float32) []float64 {
	out := f64(x)
	for i, v := range out {
		out[i] = math.Abs(v)
	}
	return out
}

// gemmShapes has tiny and odd sizes, sizes at and across the tile edges
// (mr = 12, nr = 32), depths that are odd, not a multiple of the kernels'
// unrolling, and longer than one K block (kcMax = 256), and M of one and
// of many slivers, so that both ways of packing A run.
var gemmShapes = [][3]int{
	{1, 1, 1}, {1, 1, 7}, {2, 3, 1}, {12, 32, 1}, {12, 32, 2}, {13, 33, 3}, {11, 31, 5},
	{24, 64, 256}, {25, 65, 257}, {5, 200, 300}, {36, 10, 513}, {97, 45, 19},
	{200, 37, 70}, {301, 7, 33}, {150, 96, 600}, {3, 150, 1},
	{32, 200, 700}, {40, 129, 33}, {48, 97, 5}, // computed swapped
}

// TestGemm checks every micro-kernel this CPU runs, on every shape and
// transpose, with beta 0 and 1, and with the work cut for 1, 2, 3 and 8
// workers, which must give bit-identical results.
func TestGemm(t *testing.T) {
	saved := tile
	defer func() { tile = saved }()
	seed := uint64(10)
	for _, kern := range kernels() {
		tile = kern.fn
		for _, s := range gemmShapes {
			for _, tr := range [][2]bool{{false, false}, {true, false}, {false, true}, {true, true}} {
				for _, beta := range []float32{0, 1} {
					seed++
					name := fmt.Sprintf("%s/%dx%dx%d/tA=%v_tB=%v/beta=%v", kern.name, s[0], s[1], s[2], tr[0], tr[1], beta)
					t.Run(name, func(t *testing.T) {
						gemmCase(t, seed, s[0], s[1], s[2], tr[0], tr[1], beta, []int{1, 2, 3, 8})
					})
				}
			}
		}
	}
}

// TestKernelsAgree: each assembly kernel computes every element of its tile
// as one chain of fused multiply-adds in k order (and, accumulating, adds
// the old C once at the end), so it must match fmaChain bit for bit. The
// portable kernel does not fuse on amd64 and is only checked against the
// tolerance, in TestGemm.
func TestKernelsAgree(t *testing.T) {
	var asm []namedKernel
	for _, kern := range kernels() {
		if kern.name != "go" {
			asm = append(asm, kern)
		}
	}
	if len(asm) == 0 {
		t.Skip("no assembly kernel runs on this CPU or build: nothing to compare")
	}
	rng := newRand(5)
	for _, k := range []int{1, 2, 3, 17, 256} {
		a, b := uniform(rng, k*mr, -1, 1), uniform(rng, k*nr+8, -1, 1)
		c0 := uniform(rng, mr*nr, -1, 1)
		for _, acc := range []bool{false, true} {
			want := fmaChain(k, a, b, c0, acc)
			for _, kern := range asm {
				c := append([]float32(nil), c0...)
				kern.fn(k, a, 1, mr, b, nr, c, nr, acc)
				for i := range c {
					if math.Float32bits(c[i]) != math.Float32bits(want[i]) {
						t.Fatalf("k=%d acc=%v: %s gives C[%d] = %v, the fused chain %v", k, acc, kern.name, i, c[i], want[i])
					}
				}
			}
		}
	}
}

// fmaChain is the tile product C = A·B (+ C when acc) of a kernel with
// rsA = 1, ksA = mr and ldb = ldc = nr, each element a chain of float32
// fused multiply-adds rounded once each, computed exactly in big.Float.
func fmaChain(k int, a, b, c0 []float32, acc bool) []float32 {
	out := make([]float32, mr*nr)
	for i := 0; i < mr; i++ {
		for j := 0; j < nr; j++ {
			s := float32(0)
			for l := 0; l < k; l++ {
				s = fma32(a[i+l*mr], b[l*nr+j], s)
			}
			if acc {
				s = c0[i*nr+j] + s
			}
			out[i*nr+j] = s
		}
	}
	return out
}

// fma32 returns x·y + z rounded once to float32 (to nearest even): the
// product and sum are exact at 400 bits, more than float32's exponent range
// can need.
func fma32(x, y, z float32) float32 {
	p := new(big.Float).SetPrec(400).SetFloat64(float64(x))
	p.Mul(p, new(big.Float).SetFloat64(float64(y)))
	p.Add(p, new(big.Float).SetFloat64(float64(z)))
	f, _ := p.Float32()
	return f
}

// reportFlops reports GFLOP/s over the wall time and, where the CPU time
// is known, GFLOP per CPU second: the rate of one busy core, which other
// jobs on the machine disturb much less than the wall-clock rate.
func reportFlops(b *testing.B, flops float64, wall, cpu time.Duration) {
	b.ReportMetric(flops/wall.Seconds()/1e9, "GFLOPS")
	if cpu > 0 {
		b.ReportMetric(flops/cpu.Seconds()/1e9, "GFLOP/cpu-s")
	}
}

// BenchmarkKernel is one micro-kernel on one L1-resident K block, on one
// core: the ceiling for everything built on it.
func BenchmarkKernel(b *testing.B) {
	const k = kcMax
	rng := newRand(3)
	a, bb := uniform(rng, k*mr, -1, 1), uniform(rng, k*nr, -1, 1)
	c := make([]float32, mr*nr)
	for _, kern := range kernels() {
		b.Run(kern.name, func(b *testing.B) {
			start, cpu0 := time.Now(), cpuTime()
			for i := 0; i < b.N; i++ {
				kern.fn(k, a, 1, mr, bb, nr, c, nr, true)
			}
			reportFlops(b, 2*float64(k*mr*nr)*float64(b.N), time.Since(start), cpuTime()-cpu0)
		})
	}
}

// BenchmarkGemm reports GFLOP/s of each kernel at square sizes and at the
// reference models' shapes (M×N×K, with the transposes they use).
func BenchmarkGemm(b *testing.B) {
	shapes := []struct {
		name    string
		m, n, k int
		tA, tB  bool
	}{
		{"256", 256, 256, 256, false, false},
		{"1024", 1024, 1024, 1024, false, false},
		{"fnn.dense1.fwd_b32", 32, 200, 3072, false, false},
		{"fnn.dense1.dw_b32", 3072, 200, 32, true, false},
		{"fnn.dense2.dx_b32", 32, 200, 150, false, true},
		{"cnn.conv2.fwd_b32", 8192, 32, 288, false, false},
		{"cnn.conv3.fwd_b32", 8192, 64, 288, false, false},
		{"cnn.conv3.dx_b32", 8192, 288, 64, false, true},
		{"cnn.conv3.dw_b32", 288, 64, 8192, true, false},
		{"cnn.dense1.fwd_b32", 32, 128, 4096, false, false},
	}
	saved := tile
	defer func() { tile = saved }()
	for _, kern := range kernels() {
		for _, s := range shapes {
			b.Run(kern.name+"/"+s.name, func(b *testing.B) {
				tile = kern.fn
				rng := newRand(1)
				a, bb := uniform(rng, s.m*s.k, -1, 1), uniform(rng, s.k*s.n, -1, 1)
				c := make([]float32, s.m*s.n)
				g := newTestGemm(s.m, s.n, s.k)
				g.set(s.tA, s.tB, s.m, s.n, s.k, a, bb, 0, c)
				g.run()
				b.ResetTimer()
				start, cpu0 := time.Now(), cpuTime()
				for i := 0; i < b.N; i++ {
					g.run()
				}
				reportFlops(b, 2*float64(s.m*s.n*s.k)*float64(b.N), time.Since(start), cpuTime()-cpu0)
			})
		}
	}
}

// TestGemmAllocatesNothing covers each way a product can run: swapped,
// with A and B packed, and with both read in place.
func TestGemmAllocatesNothing(t *testing.T) {
	for _, s := range [][3]int{{32, 200, 700}, {300, 300, 300}, {100, 40, 50}} {
		m, n, k := s[0], s[1], s[2]
		rng := newRand(9)
		a, b, c := uniform(rng, m*k, -1, 1), uniform(rng, k*n, -1, 1), make([]float32, m*n)
		g := newTestGemm(m, n, k)
		g.set(false, true, m, n, k, a, b, 0, c)
		g.run()
		if allocs := testing.AllocsPerRun(5, g.run); allocs != 0 {
			t.Errorf("%dx%dx%d: %v allocations per product, want 0", m, n, k, allocs)
		}
	}
}

// TestKBlock checks kBlock's contract for every depth up to 5·kcMax: no
// block is longer than kcMax (each task's A scratch holds mcMax slivers of
// kcMax steps), K is cut into as few blocks as that allows, and the blocks
// are as equal as they can be (the last is at most one step per block
// shorter).
func TestKBlock(t *testing.T) {
	for k := 1; k <= 5*kcMax; k++ {
		kc := kBlock(k)
		fewest := (k + kcMax - 1) / kcMax
		blocks := (k + kc - 1) / kc
		last := k - (blocks-1)*kc
		if kc > kcMax || blocks != fewest || kc-last >= blocks {
			t.Fatalf("kBlock(%d) = %d: %d blocks (fewest %d), the last %d long", k, kc, blocks, fewest, last)
		}
	}
}

// TestTileKernelsRefuseShortOperands gives every micro-kernel operands one
// element too short (at their exact capacity, so no slice can reach past
// them): each must panic, as an index out of range does, before it reads
// or writes outside them — the assembly kernels through checkTile.
func TestTileKernelsRefuseShortOperands(t *testing.T) {
	const k = 17
	for _, kern := range kernels() {
		// A packed (row stride 1, k stride mr) and read in place (row-major:
		// row stride k, k stride 1).
		for _, st := range [][2]int{{1, mr}, {k, 1}} {
			testShortOperands(t, kern, k, st[0], st[1])
		}
	}
}

func testShortOperands(t *testing.T, kern namedKernel, k, rsA, ksA int) {
	t.Helper()
	need := [3]int{(mr-1)*rsA + (k-1)*ksA + 1, (k-1)*nr + nr, (mr-1)*nr + nr} // A, B, C
	for short := range 3 {
		ops := [3][]float32{}
		for i, n := range need {
			if i == short {
				n--
			}
			ops[i] = make([]float32, n, n)
		}
		panicked := func() (p bool) {
			defer func() { p = recover() != nil }()
			kern.fn(k, ops[0], rsA, ksA, ops[1], nr, ops[2], nr, false)
			return false
		}()
		if !panicked {
			t.Errorf("%s, A strides %d, %d: operand %c one element short did not panic", kern.name, rsA, ksA, "ABC"[short])
		}
	}
}
