package cpuref

import (
	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/gonum"

	"github.com/anvil-ml/anvil/tensor"
)

// C is cut into tiles of gemmTileM×gemmTileN that the pool shares out. Each
// tile is computed by one call to gonum's Sgemm over the whole K, so every
// element of C is summed in the same order on every run. The tiles are
// small enough (at most 3 of gonum's 64×64 blocks) that gonum stays on its
// serial path, which neither spawns goroutines nor allocates.
const (
	gemmTileM = 64
	gemmTileN = 128
	gemmTileK = 256
)

// gemm is a reusable job C = op(A)·op(B) + beta·C on row-major matrices.
// A kernel owns one, sets its fields each step and calls run; tile is bound
// once as a method value so dispatching it allocates nothing.
type gemm struct {
	transA, transB bool
	m, n, k        int
	a, b, c        []float32
	lda, ldb, ldc  int
	beta           float32
	tilesN         int
	tileFn         func(int)
}

func newGemm() *gemm {
	g := &gemm{}
	g.tileFn = g.tile
	return g
}

// set describes the product. Leading dimensions follow from the shapes:
// every matrix is a dense row-major block.
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

func (g *gemm) run() {
	if g.m <= 0 || g.n <= 0 {
		return
	}
	g.tilesN = (g.n + gemmTileN - 1) / gemmTileN
	tilesM := (g.m + gemmTileM - 1) / gemmTileM
	parallelFor(tilesM*g.tilesN, g.tileFn)
}

func (g *gemm) tile(t int) {
	i0 := (t / g.tilesN) * gemmTileM
	j0 := (t % g.tilesN) * gemmTileN
	mi := min(gemmTileM, g.m-i0)
	nj := min(gemmTileN, g.n-j0)
	c := g.c[i0*g.ldc+j0:]
	if g.k == 0 {
		// gonum rejects a zero leading dimension; the product is empty.
		for i := 0; i < mi; i++ {
			row := c[i*g.ldc : i*g.ldc+nj]
			for j := range row {
				row[j] *= g.beta
			}
		}
		return
	}
	// K is walked in blocks so that the block of B a tile reuses stays in
	// cache; the blocks are added in order, so the sum order is fixed.
	beta := g.beta
	for l0 := 0; l0 < g.k; l0 += gemmTileK {
		kl := min(gemmTileK, g.k-l0)
		// Element (i, l) of op(A) is A[i][l], or A[l][i] when transposed.
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

// matMul is a bound tensor.MatMul.
type matMul struct {
	op      tensor.MatMul
	a, b, c []float32
	g       *gemm
}

func (p *program) bindMatMul(o tensor.MatMul) (kernel, error) {
	if err := positive("M, N, K", o.M, o.N, o.K); err != nil {
		return nil, err
	}
	bs, err := p.need(idRole{o.A, "A"}, idRole{o.B, "B"}, idRole{o.C, "C"})
	if err != nil {
		return nil, err
	}
	return &matMul{op: o, a: bs[0], b: bs[1], c: bs[2], g: newGemm()}, nil
}

// run multiplies the batch into M or K. A batched operand that is stored
// transposed (TransA with BatchM, or a transposed BatchK operand) is taken
// literally: a dense row-major matrix whose extent along the batched
// dimension is the per-sample size times the row count.
func (k *matMul) run(a *tensor.StepArgs) {
	o := k.op
	m, n, kk := o.M, o.N, o.K
	switch o.Batch {
	case tensor.BatchM:
		m *= a.Rows
	case tensor.BatchK:
		kk *= a.Rows
	}
	k.g.set(o.TransA, o.TransB, m, n, kk, k.a[:m*kk], k.b[:kk*n], 0, k.c[:m*n])
	k.g.run()
}
