package cpuref

// The matrix product is a packed GEMM in the manner of Goto and BLIS. K is
// cut into blocks of at most kcMax steps; C into tiles of mr×nr, which a
// micro-kernel computes from a sliver of mr rows of op(A) and one of nr
// columns of op(B), both packed so that it reads them sequentially. The
// pool shares out blocks of whole tiles, and each block walks the K
// blocks in order, so every element of C is summed in the same order, by
// the same kernel, however the work is scheduled and on however many
// cores. Only the partition of C into tasks depends on the core count.
//
// op(B) is packed once per product, all of K, because every task reads
// it; a row-major op(B) is read in place, except for a last, partial
// sliver. op(A) is packed by each task, one K block at a time, into the
// worker's scratch where it stays in L2 while the task sweeps N; when M
// has too few slivers to keep the cores busy, it is packed once up front
// instead and the tasks also split N.
const (
	// kcMax bounds a K block: a B sliver of kcMax×nr floats (32 KiB)
	// stays in L1/L2 while the task sweeps the rows of its A block.
	kcMax = 256
	// mcMax bounds the A slivers of one task: 16×12×256 floats (192 KiB)
	// stay in the 1 MiB L2.
	mcMax = 16
	// sharedMaxS is the most A slivers packed up front (see above).
	sharedMaxS = 16
	// tasksPerWorker is how many tasks each worker gets, so that a core
	// slowed by another process does not hold the others up for long.
	tasksPerWorker = 4
)

// kBlock returns the K block length for a product of depth k: the blocks
// are as equal as kcMax allows, and depend on k alone.
func kBlock(k int) int {
	nb := (k + kcMax - 1) / kcMax
	return (k + nb - 1) / nb
}

func slivers(n, w int) int { return (n + w - 1) / w }

// denseA is op(A) of a row-major matrix: A is M×K, or K×M when trans.
type denseA struct {
	a     []float32
	lda   int
	trans bool
}

// packA writes rows i0..i0+rows−1 and columns l0..l0+kc−1 of op(A) to
// dst k-major (dst[l·mr+r]), zero-filling rows rows..mr−1.
func (d *denseA) packA(dst []float32, i0, rows, l0, kc int) {
	dst = dst[:kc*mr]
	if d.trans {
		for l := 0; l < kc; l++ {
			out := dst[l*mr : l*mr+mr : l*mr+mr]
			src := d.a[(l0+l)*d.lda+i0:]
			if rows == mr {
				src = src[:mr:mr]
				out[0], out[1], out[2], out[3] = src[0], src[1], src[2], src[3]
				out[4], out[5], out[6], out[7] = src[4], src[5], src[6], src[7]
				out[8], out[9], out[10], out[11] = src[8], src[9], src[10], src[11]
				continue
			}
			copy(out, src[:rows])
			clear(out[rows:])
		}
		return
	}
	if rows == mr {
		packRows12(dst, d.a[i0*d.lda+l0:], d.lda, kc)
		return
	}
	for r := 0; r < rows; r++ {
		src := d.a[(i0+r)*d.lda+l0:][:kc]
		for l, v := range src {
			dst[l*mr+r] = v
		}
	}
	for r := rows; r < mr; r++ {
		for l := 0; l < kc; l++ {
			dst[l*mr+r] = 0
		}
	}
}

// packRows12 interleaves the first kc values of 12 rows of a, lda apart:
// dst[l·12+r] = a[r·lda+l]. It reads twelve sequential streams and writes
// one, which runs several times faster than a row at a time.
func packRows12(dst, a []float32, lda, kc int) {
	dst = dst[:kc*mr]
	r0, r1, r2, r3 := a[:kc], a[lda:][:kc], a[2*lda:][:kc], a[3*lda:][:kc]
	r4, r5, r6, r7 := a[4*lda:][:kc], a[5*lda:][:kc], a[6*lda:][:kc], a[7*lda:][:kc]
	r8, r9, r10, r11 := a[8*lda:][:kc], a[9*lda:][:kc], a[10*lda:][:kc], a[11*lda:][:kc]
	for l := range r0 {
		out := dst[l*mr : l*mr+mr : l*mr+mr]
		out[0], out[1], out[2], out[3] = r0[l], r1[l], r2[l], r3[l]
		out[4], out[5], out[6], out[7] = r4[l], r5[l], r6[l], r7[l]
		out[8], out[9], out[10], out[11] = r8[l], r9[l], r10[l], r11[l]
	}
}

// aPacker supplies op(A) to a gemm: a dense matrix, or a convolution's
// im2col panel read straight from the image.
type aPacker interface {
	packA(dst []float32, i0, rows, l0, kc int)
}

// gemmScratch is one worker's: a packed A block and a tile for the edges.
type gemmScratch struct {
	a    []float32 // mcMax slivers of kcMax×mr
	edge []float32 // mr×nr
}

const workerScratch = mcMax*kcMax*mr + mr*nr

// gemm is a reusable job C = op(A)·op(B) + beta·C, beta 0 or 1, on
// row-major matrices. A kernel owns one, sets it each step and calls run;
// its tasks are bound once, so dispatching allocates nothing.
type gemm struct {
	m, n, k int
	dense   denseA
	src     aPacker // &dense, or a convolution's panel
	b, c    []float32
	ldb     int
	transB  bool
	ldc     int
	acc0    bool // beta = 1

	// Blocking of the current product.
	kc, kBlocks  int
	mS, nS       int  // slivers of A and B
	sharedA      bool // A is packed up front, not per task
	bDirect      bool // B is read in place (row-major and not the tail)
	mcS, ncS     int  // slivers per task
	tasksM, tasksN int

	// Scratch, owned by the program: packed B (and a shared packed A
	// after it), and the workers' blocks.
	pack    *[]float32
	maxB    int // floats reserved for packed B
	scratch *[]gemmScratch

	packBFn, packAFn, taskFn func(w, i int)
}

// newGemm returns a job for products of at most maxM×maxN×maxK, reserving
// its scratch in the program.
func (p *program) newGemm(maxM, maxN, maxK int) *gemm {
	g := &gemm{pack: &p.pack, scratch: &p.scratch}
	g.src = &g.dense
	g.maxB = slivers(maxN, nr) * nr * maxK
	sharedA := min(slivers(maxM, mr), sharedMaxS) * mr * maxK
	p.packSize = max(p.packSize, g.maxB+sharedA)
	g.packBFn, g.packAFn, g.taskFn = g.packBSliver, g.packASliver, g.task
	return g
}

// set describes a product of dense matrices; leading dimensions follow
// from the shapes.
func (g *gemm) set(transA, transB bool, m, n, k int, a, b []float32, beta float32, c []float32) {
	lda := k
	if transA {
		lda = m
	}
	g.dense = denseA{a: a, lda: lda, trans: transA}
	g.setWith(&g.dense, transB, m, n, k, b, beta, c)
}

// setWith describes a product whose op(A) comes from src.
func (g *gemm) setWith(src aPacker, transB bool, m, n, k int, b []float32, beta float32, c []float32) {
	g.src, g.transB, g.m, g.n, g.k = src, transB, m, n, k
	g.b, g.c, g.acc0 = b, c, beta != 0
	g.ldb, g.ldc = n, n
	if transB {
		g.ldb = k
	}
}

// run computes the product; m, n and k must be positive (bind checks).
func (g *gemm) run() { g.runFor(workers().size()) }

// runFor computes the product in tasks sized for w workers; tests vary w
// to show the result does not depend on it.
func (g *gemm) runFor(w int) {
	g.plan(w)
	if !g.bDirect {
		parallelForW(g.nS, g.packBFn)
	} else if g.n%nr != 0 {
		g.packBSliver(0, g.nS-1)
	}
	if g.sharedA {
		parallelForW(g.mS, g.packAFn)
	}
	parallelForW(g.tasksM*g.tasksN, g.taskFn)
}

// plan blocks the product for w workers.
func (g *gemm) plan(w int) {
	g.kc = kBlock(g.k)
	g.kBlocks = (g.k + g.kc - 1) / g.kc
	g.mS, g.nS = slivers(g.m, mr), slivers(g.n, nr)
	g.bDirect = !g.transB
	want := w * tasksPerWorker
	if w == 1 {
		want = 1
	}
	g.sharedA = g.mS < want && g.mS <= sharedMaxS
	if !g.sharedA {
		g.tasksM = max(slivers(g.mS, mcMax), min(want, g.mS))
		g.mcS = slivers(g.mS, g.tasksM)
		g.tasksM = slivers(g.mS, g.mcS)
		g.tasksN, g.ncS = 1, g.nS
		return
	}
	g.tasksN = min(g.nS, want)
	g.ncS = slivers(g.nS, g.tasksN)
	g.tasksN = slivers(g.nS, g.ncS)
	g.tasksM = min(g.mS, slivers(want, g.tasksN))
	g.mcS = slivers(g.mS, g.tasksM)
	g.tasksM = slivers(g.mS, g.mcS)
}

// packBSliver packs columns j·nr.. of op(B), all of K, to its place in
// the pack scratch: K×nr floats, zero-filled past N.
func (g *gemm) packBSliver(_, j int) {
	j0 := j * nr
	cols := min(nr, g.n-j0)
	dst := (*g.pack)[j*g.k*nr:][:g.k*nr]
	if !g.transB {
		for l := 0; l < g.k; l++ {
			out := dst[l*nr : l*nr+nr]
			copy(out, g.b[l*g.ldb+j0:][:cols])
			clear(out[cols:])
		}
		return
	}
	for c := 0; c < cols; c++ {
		src := g.b[(j0+c)*g.ldb:][:g.k]
		for l, v := range src {
			dst[l*nr+c] = v
		}
	}
	for c := cols; c < nr; c++ {
		for l := 0; l < g.k; l++ {
			dst[l*nr+c] = 0
		}
	}
}

// packASliver packs rows s·mr.. of op(A), all of K, after packed B.
func (g *gemm) packASliver(_, s int) {
	dst := (*g.pack)[g.maxB+s*g.k*mr:]
	g.src.packA(dst, s*mr, min(mr, g.m-s*mr), 0, g.k)
}

// bSliver returns sliver j of op(B) from row l0 on, and its row stride.
func (g *gemm) bSliver(j, l0 int) ([]float32, int) {
	if g.bDirect && (j+1)*nr <= g.n {
		return g.b[l0*g.ldb+j*nr:], g.ldb
	}
	return (*g.pack)[(j*g.k+l0)*nr:], nr
}

// task computes the C tiles of slivers s0..s1−1 × j0..j1−1.
func (g *gemm) task(w, t int) {
	s0 := (t / g.tasksN) * g.mcS
	s1 := min(s0+g.mcS, g.mS)
	j0 := (t % g.tasksN) * g.ncS
	j1 := min(j0+g.ncS, g.nS)
	scr := &(*g.scratch)[w]
	for kb := 0; kb < g.kBlocks; kb++ {
		l0 := kb * g.kc
		kc := min(g.kc, g.k-l0)
		if !g.sharedA {
			for s := s0; s < s1; s++ {
				g.src.packA(scr.a[(s-s0)*kc*mr:], s*mr, min(mr, g.m-s*mr), l0, kc)
			}
		}
		acc := kb > 0 || g.acc0
		for j := j0; j < j1; j++ {
			b, ldb := g.bSliver(j, l0)
			for s := s0; s < s1; s++ {
				var a []float32
				if g.sharedA {
					a = (*g.pack)[g.maxB+(s*g.k+l0)*mr:]
				} else {
					a = scr.a[(s-s0)*kc*mr:]
				}
				g.tile(scr, kc, a, b, ldb, s, j, acc)
			}
		}
	}
}

// tile runs the micro-kernel on tile (s, j) of C. An edge tile is
// computed whole into scratch and its valid part added or copied, which
// rounds exactly as the kernel's own store would.
func (g *gemm) tile(scr *gemmScratch, kc int, a, b []float32, ldb, s, j int, acc bool) {
	i0, j0 := s*mr, j*nr
	rows, cols := min(mr, g.m-i0), min(nr, g.n-j0)
	c := g.c[i0*g.ldc+j0:]
	if rows == mr && cols == nr {
		tile(kc, a, b, ldb, c, g.ldc, acc)
		return
	}
	e := scr.edge
	tile(kc, a, b, ldb, e, nr, false)
	for r := 0; r < rows; r++ {
		dst, src := c[r*g.ldc:r*g.ldc+cols], e[r*nr:r*nr+cols]
		if acc {
			for x, v := range src {
				dst[x] += v
			}
		} else {
			copy(dst, src)
		}
	}
}
