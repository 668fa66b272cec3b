package cpuref

import (
	"github.com/anvil-ml/anvil/tensor"
)

// Convolutions lower to GEMM through im2col, one panel block at a time. A
// block holds the im2col rows of a few output rows of one sample (at most
// blockCap floats); a worker builds it in its own scratch, where it stays
// in L2 while a single-threaded GEMM uses it, so neither the panel nor its
// gradient goes through memory. The pool shares out blocks rather than
// the tiles of one large product. For a block P (positions × KH·KW·C) and
// the kernel W (KH·KW·C × F):
//
//	forward:         Y  = P · W           (the NHWC output falls out directly)
//	backward data:   dP = DY · Wᵀ, then col2im scatters dP into DX
//	backward filter: DW = Σ Pᵀ · DY over every block of the batch
//
// Backward data takes a whole sample per task, because col2im's windows
// overlap across a sample's blocks. The filter gradient cuts the batch
// into at most filterChunks runs of whole samples; each run sums its
// blocks in order into its own partial DW, and the partials are added in
// run order. The runs depend only on the row count, so every element is
// summed in the same order whatever the schedule.

// filterChunks bounds the partial filter gradients: enough runs to keep
// the cores busy, few enough that their sum is a small pass. A variable
// only so that tests can vary it.
var filterChunks = 8

// convBase holds what the three convolution kernels share.
type convBase struct {
	s     *convShape
	arena *[][]float32 // each worker's panel block
	gs    []*gemm      // each worker's product
	pack  *gemm        // packs W once per step for all workers (not DW's)
	fn    func(w, i int)
}

// newConvBase sizes a convolution whose per-block products are at most
// maxM×maxN×maxK, given as functions of the shape.
func newConvBase(p *program, geom tensor.ConvGeom, dims func(s *convShape, pos int) (m, n, k int)) convBase {
	s := newConvShape(p, geom)
	m, n, k := dims(s, s.rows*geom.OW)
	return convBase{s: s, arena: &p.workerArena, gs: p.newWorkerGemms(m, n, k)}
}

// panel returns the panel block of output rows oh0..oh1−1 of sample x:
// the input itself for a direct convolution, else built in w's scratch.
func (b *convBase) panel(w int, x []float32, oh0, oh1 int) []float32 {
	s := b.s
	pos := (oh1 - oh0) * s.g.OW
	if s.direct {
		return x[oh0*s.g.OW*s.kkc:][:pos*s.kkc]
	}
	col := (*b.arena)[w][:pos*s.kkc]
	s.im2col(x, col, oh0, oh1)
	return col
}

// conv2D is a bound tensor.Conv2D.
type conv2D struct {
	convBase
	x, w, y []float32
	wp      []float32 // W packed this step
	// bias is the bias of a BiasAdd on Y that follows in the plan, fused
	// in: each block adds it while the block's output is still in cache.
	bias []float32
}

// fuseBias takes over b, a BiasAdd that adds a bias to this convolution's
// output in place, if it is one.
func (k *conv2D) fuseBias(conv tensor.Conv2D, b tensor.BiasAdd, bias []float32) bool {
	if b.X != conv.Y || b.Y != conv.Y || b.Outer != conv.Geom.OH*conv.Geom.OW || b.C != conv.Geom.F {
		return false
	}
	k.bias = bias[:b.C]
	return true
}

func (p *program) bindConv2D(o tensor.Conv2D) (kernel, error) {
	base := newConvBase(p, o.Geom, func(s *convShape, pos int) (int, int, int) { return pos, s.g.F, s.kkc })
	bs, err := p.need(idRole{o.X, "X"}, idRole{o.W, "W"}, idRole{o.Y, "Y"})
	if err != nil {
		return nil, err
	}
	k := &conv2D{convBase: base, x: bs[0], w: bs[1], y: bs[2]}
	k.pack = p.newBPacker(o.Geom.F, k.s.kkc)
	k.fn = k.block
	return k, nil
}

func (k *conv2D) run(a *tensor.StepArgs) {
	s := k.s
	k.pack.setB(false, 1, s.g.F, s.kkc, k.w[:s.kkc*s.g.F], 0, nil)
	k.wp = k.pack.packAllB()
	parallelForW(a.Rows*s.blocks, k.fn)
}

// block computes Y for block t: sample t/blocks, block t%blocks.
func (k *conv2D) block(w, t int) {
	s, f := k.s, k.s.g.F
	n := t / s.blocks
	oh0, oh1 := s.block(t % s.blocks)
	pos := (oh1 - oh0) * s.g.OW
	col := k.panel(w, k.x[n*s.in:(n+1)*s.in], oh0, oh1)
	g := k.gs[w]
	y := k.y[n*s.out+oh0*s.g.OW*f:][:pos*f]
	g.set(false, false, pos, f, s.kkc, col, nil, 0, y)
	g.bPre = k.wp
	g.runOn(w)
	if k.bias != nil {
		vAddRows(y, k.bias, f)
	}
}

// convBackData is a bound tensor.Conv2DBackwardData.
type convBackData struct {
	convBase
	dy, w, dx []float32
	wp        []float32 // Wᵀ packed this step
}

func (p *program) bindConvBackData(o tensor.Conv2DBackwardData) (kernel, error) {
	base := newConvBase(p, o.Geom, func(s *convShape, pos int) (int, int, int) { return pos, s.kkc, s.g.F })
	bs, err := p.need(idRole{o.DY, "DY"}, idRole{o.W, "W"}, idRole{o.DX, "DX"})
	if err != nil {
		return nil, err
	}
	k := &convBackData{convBase: base, dy: bs[0], w: bs[1], dx: bs[2]}
	k.pack = p.newBPacker(k.s.kkc, o.Geom.F)
	k.fn = k.sample
	return k, nil
}

func (k *convBackData) run(a *tensor.StepArgs) {
	s := k.s
	k.pack.setB(true, 1, s.kkc, s.g.F, k.w[:s.kkc*s.g.F], 0, nil)
	k.wp = k.pack.packAllB()
	parallelForW(a.Rows, k.fn)
}

// sample computes DX for sample n, block by block. A direct convolution's
// panel gradient is DX itself.
func (k *convBackData) sample(w, n int) {
	s, f, ow := k.s, k.s.g.F, k.s.g.OW
	dx := k.dx[n*s.in : (n+1)*s.in]
	if !s.direct {
		clear(dx)
	}
	g := k.gs[w]
	for b := 0; b < s.blocks; b++ {
		oh0, oh1 := s.block(b)
		pos := (oh1 - oh0) * ow
		var dcol []float32
		if s.direct {
			dcol = dx[oh0*ow*s.kkc:][:pos*s.kkc]
		} else {
			dcol = (*k.arena)[w][:pos*s.kkc]
		}
		g.set(false, true, pos, s.kkc, f, k.dy[n*s.out+oh0*ow*f:][:pos*f], nil, 0, dcol)
		g.bPre = k.wp
		g.runOn(w)
		if !s.direct {
			s.col2im(dcol, dx, oh0, oh1)
		}
	}
}

// convBackFilter is a bound tensor.Conv2DBackwardFilter.
type convBackFilter struct {
	convBase
	x, dy, dw []float32
	partial   []float32 // filterChunks × KH·KW·C·F
	rows      int       // samples this step
	per       int       // samples per run
	runs      int
	sumFn     func(int)
}

func (p *program) bindConvBackFilter(o tensor.Conv2DBackwardFilter) (kernel, error) {
	base := newConvBase(p, o.Geom, func(s *convShape, pos int) (int, int, int) { return s.kkc, s.g.F, pos })
	bs, err := p.need(idRole{o.X, "X"}, idRole{o.DY, "DY"}, idRole{o.DW, "DW"})
	if err != nil {
		return nil, err
	}
	k := &convBackFilter{convBase: base, x: bs[0], dy: bs[1], dw: bs[2],
		partial: make([]float32, filterChunks*o.Geom.KernelSize())}
	k.fn, k.sumFn = k.chunk, k.sum
	return k, nil
}

func (k *convBackFilter) run(a *tensor.StepArgs) {
	k.rows = a.Rows
	k.runs = min(filterChunks, a.Rows)
	k.per = (a.Rows + k.runs - 1) / k.runs
	k.runs = (a.Rows + k.per - 1) / k.per
	parallelForW(k.runs, k.fn)
	if k.runs > 1 {
		parallelFor(numChunks(k.s.kkc*k.s.g.F, elemChunk), k.sumFn)
	}
}

// chunk sums the filter gradient of run r's samples, block by block, into
// its partial (or straight into DW when there is one run).
func (k *convBackFilter) chunk(w, r int) {
	s, f, ow := k.s, k.s.g.F, k.s.g.OW
	size := s.kkc * f
	part := k.dw[:size]
	if k.runs > 1 {
		part = k.partial[r*size : (r+1)*size]
	}
	g := k.gs[w]
	var beta float32 // the first block overwrites, later ones add
	for n := r * k.per; n < min((r+1)*k.per, k.rows); n++ {
		for b := 0; b < s.blocks; b++ {
			oh0, oh1 := s.block(b)
			pos := (oh1 - oh0) * ow
			col := k.panel(w, k.x[n*s.in:(n+1)*s.in], oh0, oh1)
			g.set(true, false, s.kkc, f, pos, col, k.dy[n*s.out+oh0*ow*f:][:pos*f], beta, part)
			g.runOn(w)
			beta = 1
		}
	}
}

// sum adds the partials, in run order, into DW.
func (k *convBackFilter) sum(i int) {
	size := k.s.kkc * k.s.g.F
	lo, hi := chunkBounds(i, size, elemChunk)
	dw := k.dw[lo:hi]
	copy(dw, k.partial[lo:hi])
	for r := 1; r < k.runs; r++ {
		vAdd(dw, k.partial[r*size+lo:r*size+hi])
	}
}
