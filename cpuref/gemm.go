package cpuref

// The matrix product is a blocked GEMM in the manner of Goto and BLIS. K
// is cut into blocks of at most kcMax steps; C into tiles of mr×nr, which
// a micro-kernel computes from mr rows of op(A) and a sliver of nr columns
// of op(B). The pool shares out blocks of whole tiles, and each block
// walks the K blocks in order, so every element of C is summed in the
// same order, by the same kernel, however the work is scheduled and on
// however many cores. Only the partition of C into tasks depends on the
// core count.
//
// A dense op(A) is read in place: the kernels take its row and column
// strides, which saves a copy, and a transposed op(A) is read a cache line
// per step anyway. A row-major op(A) whose rows are a multiple of 4 KiB
// apart is packed instead: its twelve rows would fall into the same L1
// sets and evict each other. Those, and the
// zero-filled last sliver of any op(A), are packed by each
// task, one K block at a time, into scratch that stays in L2 while the
// task sweeps N. A row-major op(B) is read in place by a few A slivers;
// otherwise op(B) (and a last partial sliver) is packed once per product,
// all of K, because every task reads it. Packing is in pack.go.
const (
	// kcMax bounds a K block: a B sliver of kcMax×nr floats (32 KiB)
	// and an A sliver (12 KiB) stay in L1/L2 while a task reuses them.
	kcMax = 256
	// mcMax bounds the A slivers of one task: 16×12×256 floats (192 KiB)
	// stay in the 1 MiB L2.
	mcMax = 16
	// ncMax bounds the B slivers a task sweeps for each A sliver:
	// 16×256×32 floats (512 KiB) stay in L2.
	ncMax = 16
	// aliasStride: the lines of twelve rows of a row-major op(A) whose
	// stride in bytes is a multiple of this all fall into the same L1
	// sets, twelve to a set of 8 ways, and evict each other while a task
	// reuses them. (At 2 KiB they share sets six to a set, which fits.)
	aliasStride = 4096
	// directMaxM is the most A slivers that may read an op(B) in place:
	// a packed sliver is one sequential stream, which the prefetchers
	// keep ahead of the kernel, where rows of B at a stride of 4 KiB
	// all compete for two sets of L1.
	directMaxM = 4
	// swapMaxS is the most A slivers of a product computed swapped.
	swapMaxS = 4
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

// gemmScratch is one worker's: packed A slivers and a tile for the edges.
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
	packAll bool // pack every A sliver, not just a partial last one
	b, c    []float32
	ldb     int
	transB  bool
	ldc     int
	acc0    bool // beta = 1

	// Blocking of the current product.
	kc, kBlocks    int
	mS, nS         int // slivers of A and B
	mcS, ncS       int // slivers per task
	tasksM, tasksN int

	// pack, owned by the program, holds packed B; scratch the workers'.
	// bPre, when set, is op(B) already packed (all slivers, all of K) by
	// the caller, shared by several jobs at once.
	pack    *[]float32
	scratch *[]gemmScratch
	bPre    []float32

	packB           bool // pack every B sliver, not just a partial last one
	packBFn, taskFn func(w, i int)

	// swapped computes Cᵀ = op(B)ᵀ·op(A)ᵀ for products whose M is a few
	// slivers (see swap).
	swapped *gemm
}

// newGemm returns a job for products of at most maxM×maxN×maxK, reserving
// its scratch in the program.
func (p *program) newGemm(maxM, maxN, maxK int) *gemm {
	g := &gemm{pack: &p.pack, scratch: &p.scratch}
	p.packSize = max(p.packSize, slivers(maxN, nr)*nr*maxK)
	g.packBFn, g.taskFn = g.packBSliver, g.task
	if slivers(maxM, mr) <= swapMaxS {
		g.swapped = &gemm{pack: &p.pack, scratch: &p.scratch}
		g.swapped.packBFn, g.swapped.taskFn = g.swapped.packBSliver, g.swapped.task
		p.packSize = max(p.packSize, slivers(maxM, nr)*nr*maxK+maxM*maxN)
	}
	return g
}

// newBPacker returns a job used only to pack an op(B) of at most
// maxN×maxK (packAllB) for other jobs to share.
func (p *program) newBPacker(maxN, maxK int) *gemm {
	p.packSize = max(p.packSize, slivers(maxN, nr)*nr*maxK)
	return &gemm{pack: &p.pack, scratch: &p.scratch}
}

// newWorkerGemms returns one job per worker for products of at most
// maxM×maxN×maxK that run inside a task of the pool (runOn), each with its
// own B scratch.
func (p *program) newWorkerGemms(maxM, maxN, maxK int) []*gemm {
	gs := make([]*gemm, workers().size())
	for i := range gs {
		own := make([]float32, slivers(maxN, nr)*nr*maxK)
		gs[i] = &gemm{pack: &own, scratch: &p.scratch}
		gs[i].packBFn, gs[i].taskFn = gs[i].packBSliver, gs[i].task
	}
	return gs
}

// set describes a product of dense matrices; leading dimensions follow
// from the shapes.
func (g *gemm) set(transA, transB bool, m, n, k int, a, b []float32, beta float32, c []float32) {
	lda := k
	if transA {
		lda = m
	}
	g.dense = denseA{a: a, lda: lda, trans: transA}
	g.setB(transB, m, n, k, b, beta, c)
}

// setB describes the product but for op(A), which g.dense holds.
func (g *gemm) setB(transB bool, m, n, k int, b []float32, beta float32, c []float32) {
	g.transB, g.m, g.n, g.k = transB, m, n, k
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
	if g.swap() {
		return
	}
	g.plan(w)
	if g.packB {
		parallelForW(g.nS, g.packBFn)
	} else if g.n%nr != 0 {
		g.packBSliver(0, g.nS-1)
	}
	parallelForW(g.tasksM*g.tasksN, g.taskFn)
}

// swap computes a product with few rows as Cᵀ = op(B)ᵀ·op(A)ᵀ, and
// reports whether it did. With M a few slivers the tiles' unused rows,
// A packed once per N-split task and B read by few rows waste much of
// the kernel; with the roles swapped, op(B)ᵀ is read in place, the short
// side is one packed sliver, and N gives the tasks. Cᵀ is formed in
// scratch and transposed into C. Each element is the same chain of fused
// multiply-adds (a·b = b·a), so the result is bit-identical; only beta 0
// qualifies, as adding C at the end would round differently.
func (g *gemm) swap() bool {
	m, n, k := g.m, g.n, g.k
	if g.swapped == nil || g.acc0 || slivers(m, mr) > swapMaxS || slivers(n, nr) <= slivers(m, mr) {
		return false
	}
	bSize := slivers(m, nr) * nr * k
	if bSize+m*n > len(*g.pack) {
		return false // M this step is below the reserved maximum
	}
	ct := (*g.pack)[bSize : bSize+m*n]
	sw := g.swapped
	// op(B)ᵀ: B stored K×N is op(B)ᵀ transposed; B stored N×K is it.
	sw.dense = denseA{a: g.b, lda: g.ldb, trans: !g.transB}
	// op(A)ᵀ: A stored M×K is read transposed; A stored K×M is row-major.
	sw.setB(!g.dense.trans, n, m, k, g.dense.a, 0, ct)
	sw.ldb = g.dense.lda
	sw.run()
	for j := 0; j < n; j++ {
		row := ct[j*m : (j+1)*m]
		for i, v := range row {
			g.c[i*g.ldc+j] = v
		}
	}
	return true
}

// runOn computes the product on the calling goroutine, worker w of a
// pool task, with w's scratch. It starts no parallel work.
func (g *gemm) runOn(w int) {
	g.plan(1)
	if g.bPre == nil && g.packB {
		for j := 0; j < g.nS; j++ {
			g.packBSliver(w, j)
		}
	} else if g.bPre == nil && g.n%nr != 0 {
		g.packBSliver(w, g.nS-1)
	}
	for t := 0; t < g.tasksM*g.tasksN; t++ {
		g.task(w, t)
	}
}

// packAllB packs all of op(B) into the job's pack scratch and returns it,
// for other jobs to share as their bPre.
func (g *gemm) packAllB() []float32 {
	g.nS = slivers(g.n, nr)
	for j := 0; j < g.nS; j++ {
		g.packBSliver(0, j)
	}
	return (*g.pack)[:g.nS*g.k*nr]
}

// plan blocks the product for w workers: M is split first, into at most
// mcMax slivers a task, and N too when M alone gives too few tasks.
func (g *gemm) plan(w int) {
	g.kc = kBlock(g.k)
	g.kBlocks = (g.k + g.kc - 1) / g.kc
	g.mS, g.nS = slivers(g.m, mr), slivers(g.n, nr)
	want := 1
	if w > 1 {
		want = w * tasksPerWorker
	}
	g.tasksM = max(slivers(g.mS, mcMax), min(want, g.mS))
	g.mcS = slivers(g.mS, g.tasksM)
	g.tasksM = slivers(g.mS, g.mcS)
	g.packAll = !g.dense.trans && (g.dense.lda*4)%aliasStride == 0
	g.packB = g.transB || g.mS > directMaxM
	g.tasksN = min(g.nS, slivers(want, g.tasksM))
	g.ncS = slivers(g.nS, g.tasksN)
	g.tasksN = slivers(g.nS, g.ncS)
}

// task computes the C tiles of slivers s0..s1−1 × j0..j1−1: for each K
// block, for each group of ncMax B slivers, each A sliver against them.
func (g *gemm) task(w, t int) {
	s0 := (t / g.tasksN) * g.mcS
	s1 := min(s0+g.mcS, g.mS)
	j0 := (t % g.tasksN) * g.ncS
	j1 := min(j0+g.ncS, g.nS)
	scr := &(*g.scratch)[w]
	rs, ks := g.dense.strides()
	for kb := 0; kb < g.kBlocks; kb++ {
		l0 := kb * g.kc
		kc := min(g.kc, g.k-l0)
		acc := kb > 0 || g.acc0
		if g.packAll {
			for s := s0; s < s1; s++ {
				g.dense.packA(scr.a[(s-s0)*kc*mr:], s*mr, min(mr, g.m-s*mr), l0, kc)
			}
		} else if s1 == g.mS && g.m%mr != 0 {
			g.dense.packA(scr.a, (s1-1)*mr, g.m%mr, l0, kc)
		}
		for jc := j0; jc < j1; jc += ncMax {
			for s := s0; s < s1; s++ {
				a, ars, aks := g.aSliver(scr, s, s0, l0, kc, rs, ks)
				for j := jc; j < min(jc+ncMax, j1); j++ {
					b, ldb := g.bSliver(j, l0)
					g.tile(scr, kc, a, ars, aks, b, ldb, s, j, acc)
				}
			}
		}
	}
}

// aSliver returns rows s·mr.. of op(A) from column l0 on, and its strides:
// in place, or packed in the worker's scratch.
func (g *gemm) aSliver(scr *gemmScratch, s, s0, l0, kc, rs, ks int) ([]float32, int, int) {
	switch {
	case g.packAll:
		return scr.a[(s-s0)*kc*mr:], 1, mr
	case (s+1)*mr > g.m:
		return scr.a, 1, mr
	}
	return g.dense.a[s*mr*rs+l0*ks:], rs, ks
}

// tile runs the micro-kernel on tile (s, j) of C. An edge tile is
// computed whole into scratch and its valid part added or copied, which
// rounds exactly as the kernel's own store would.
func (g *gemm) tile(scr *gemmScratch, kc int, a []float32, rs, ks int, b []float32, ldb, s, j int, acc bool) {
	i0, j0 := s*mr, j*nr
	rows, cols := min(mr, g.m-i0), min(nr, g.n-j0)
	c := g.c[i0*g.ldc+j0:]
	if rows == mr && cols == nr {
		tile(kc, a, rs, ks, b, ldb, c, g.ldc, acc)
		return
	}
	e := scr.edge
	tile(kc, a, rs, ks, b, ldb, e, nr, false)
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
