package cpuref

import (
	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/gonum"
)

// C is cut into tiles of gemmTileM×gemmTileN that the pool shares out, and
// each tile walks K in blocks of gemmTileK, added in order: every element
// of C is summed in the same order on every run. A tile is at most 3 of
// gonum's 64×64 blocks, so gonum stays on its serial path, which neither
// starts goroutines nor allocates; a K block of both operands (≤ 192 KiB)
// stays in the L2 cache while the tile reuses it.
const (
	gemmTileM = 64
	gemmTileN = 128
	gemmTileK = 256
)

// gonum's serial Sgemm has two inner loops: a SIMD dot product along K
// when A is M×K and B is N×K (NoTrans·Trans), and a SIMD axpy along a row
// of C otherwise. Dots of K ≥ dotMinK run about twice as fast as axpys
// along the short rows of C that small layers have, so the operands are
// transposed into scratch to reach the dot form when K is long, and to
// reach the axpy form's B layout when K is short. A transpose touches each
// element once while the product touches it M or N times, so an operand is
// only packed when the other side has at least packMin rows to amortise it.
const (
	dotMinK = 64
	packMin = 16
)

// gemm is a reusable job C = op(A)·op(B) + beta·C on dense row-major
// matrices. A kernel owns one, sets it each step and calls run; its tile
// and transpose tasks are bound once, so dispatching allocates nothing.
type gemm struct {
	transA, transB bool
	m, n, k        int
	a, b, c        []float32
	lda, ldb, ldc  int
	beta           float32
	tilesN         int
	tileFn         func(int)
	// pack is the program's shared scratch for transposed operands: A's
	// copy at the start, B's after maxA elements.
	pack *[]float32
	maxA int
	tr   transpose
}

// newGemm returns a job whose operands are at most maxA and maxB elements,
// reserving scratch to transpose them.
func (p *program) newGemm(maxA, maxB int) *gemm {
	g := &gemm{pack: &p.pack, maxA: maxA}
	p.packSize = max(p.packSize, maxA+maxB)
	g.tileFn = g.tile
	g.tr.fn = g.tr.block
	return g
}

// set describes the product; leading dimensions follow from the shapes.
func (g *gemm) set(transA, transB bool, m, n, k int, a, b []float32, beta float32, c []float32) {
	g.transA, g.transB, g.m, g.n, g.k = transA, transB, m, n, k
	g.a, g.b, g.c, g.beta = a, b, c, beta
	g.lda, g.ldb, g.ldc = k, n, n
	if transA {
		g.lda = m
	}
	if transB {
		g.ldb = k
	}
}

// run computes the product; m, n and k must be positive (bind checks).
func (g *gemm) run() {
	g.choosePacking()
	g.tilesN = (g.n + gemmTileN - 1) / gemmTileN
	tilesM := (g.m + gemmTileM - 1) / gemmTileM
	parallelFor(tilesM*g.tilesN, g.tileFn)
}

// choosePacking transposes operands into scratch where that reaches a
// faster inner loop (see dotMinK).
func (g *gemm) choosePacking() {
	if g.k >= dotMinK {
		if g.transA && g.n >= packMin && g.m*g.k <= g.maxA {
			g.a = g.tr.run(g.a, g.k, g.m, (*g.pack)[:g.m*g.k])
			g.transA, g.lda = false, g.k
		}
		if !g.transB && g.m >= packMin {
			g.b = g.tr.run(g.b, g.k, g.n, (*g.pack)[g.maxA:][:g.k*g.n])
			g.transB, g.ldb = true, g.k
		}
		return
	}
	if g.transB && g.m >= packMin {
		g.b = g.tr.run(g.b, g.n, g.k, (*g.pack)[g.maxA:][:g.k*g.n])
		g.transB, g.ldb = false, g.n
	}
}

func (g *gemm) tile(t int) {
	i0 := (t / g.tilesN) * gemmTileM
	j0 := (t % g.tilesN) * gemmTileN
	mi := min(gemmTileM, g.m-i0)
	nj := min(gemmTileN, g.n-j0)
	c := g.c[i0*g.ldc+j0:]
	beta := g.beta
	for l0 := 0; l0 < g.k; l0 += gemmTileK {
		kl := min(gemmTileK, g.k-l0)
		a, tA := g.blockA(i0, l0)
		b, tB := g.blockB(l0, j0)
		gonum.Implementation{}.Sgemm(tA, tB, mi, nj, kl, 1, a, g.lda, b, g.ldb, beta, c, g.ldc)
		beta = 1
	}
}

// blockA returns A from element (i, l) of op(A) on, and how it is stored.
func (g *gemm) blockA(i, l int) ([]float32, blas.Transpose) {
	if g.transA {
		return g.a[l*g.lda+i:], blas.Trans
	}
	return g.a[i*g.lda+l:], blas.NoTrans
}

// blockB returns B from element (l, j) of op(B) on, and how it is stored.
func (g *gemm) blockB(l, j int) ([]float32, blas.Transpose) {
	if g.transB {
		return g.b[j*g.ldb+l:], blas.Trans
	}
	return g.b[l*g.ldb+j:], blas.NoTrans
}

// transpose writes the transpose of a rows×cols matrix. One task handles a
// band of transBlock source rows, in square blocks so that both the reads
// and the writes stay within a few cache lines.
type transpose struct {
	src, dst   []float32
	rows, cols int
	fn         func(int)
}

const transBlock = 32

// run transposes src (rows×cols) into dst (cols×rows) and returns dst.
func (t *transpose) run(src []float32, rows, cols int, dst []float32) []float32 {
	t.src, t.dst, t.rows, t.cols = src, dst, rows, cols
	parallelFor(numChunks(rows, transBlock), t.fn)
	return dst
}

func (t *transpose) block(i int) {
	// Locals, because stores into dst could alias *t as far as the compiler
	// knows, which would reload every field on every element.
	src, dst, rows, cols := t.src, t.dst, t.rows, t.cols
	r0, r1 := chunkBounds(i, rows, transBlock)
	for c0 := 0; c0 < cols; c0 += transBlock {
		c1 := min(c0+transBlock, cols)
		for c := c0; c < c1; c++ {
			d := dst[c*rows+r0 : c*rows+r1]
			for j := range d {
				d[j] = src[(r0+j)*cols+c]
			}
		}
	}
}
