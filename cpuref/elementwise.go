package cpuref

import (
	"github.com/anvil-ml/anvil/tensor"
)

// biasAdd is a bound tensor.BiasAdd: Y[r,c] = X[r,c] + Bias[c].
type biasAdd struct {
	x, bias, y []float32
	c, outer   int
	total      int // positions this step
	fn         func(int)
}

func (p *program) bindBiasAdd(o tensor.BiasAdd) (kernel, error) {
	bs, err := p.need(idRole{o.X, "X"}, idRole{o.Bias, "Bias"}, idRole{o.Y, "Y"})
	if err != nil {
		return nil, err
	}
	k := &biasAdd{x: bs[0], bias: bs[1], y: bs[2], c: o.C, outer: o.Outer}
	k.fn = k.chunk
	return k, nil
}

func (k *biasAdd) run(a *tensor.StepArgs) {
	k.total = a.Rows * k.outer
	parallelFor(numChunks(k.total, posChunk(k.c)), k.fn)
}

func (k *biasAdd) chunk(i int) {
	lo, hi := chunkBounds(i, k.total, posChunk(k.c))
	bias := k.bias[:k.c]
	for r := lo; r < hi; r++ {
		vAdd3(k.y[r*k.c:(r+1)*k.c], k.x[r*k.c:(r+1)*k.c], bias)
	}
}

// biasGrad is a bound tensor.BiasGrad: DBias[c] = Σ DY[r,c]. Each chunk of
// positions sums into its own row of partial, and the rows are added in
// chunk order, so the result does not depend on scheduling.
type biasGrad struct {
	dy, dbias []float32
	c, outer  int
	total     int
	partial   []float64 // chunks × C
	fn        func(int)
}

func (p *program) bindBiasGrad(o tensor.BiasGrad) (kernel, error) {
	bs, err := p.need(idRole{o.DY, "DY"}, idRole{o.DBias, "DBias"})
	if err != nil {
		return nil, err
	}
	chunks := numChunks(p.plan.Batch*o.Outer, posChunk(o.C))
	k := &biasGrad{dy: bs[0], dbias: bs[1], c: o.C, outer: o.Outer, partial: make([]float64, chunks*o.C)}
	k.fn = k.chunk
	return k, nil
}

func (k *biasGrad) run(a *tensor.StepArgs) {
	k.total = a.Rows * k.outer
	n := numChunks(k.total, posChunk(k.c))
	parallelFor(n, k.fn)
	sumRows(k.partial, n, k.c, k.dbias[:k.c])
}

func (k *biasGrad) chunk(i int) {
	lo, hi := chunkBounds(i, k.total, posChunk(k.c))
	acc := k.partial[i*k.c : (i+1)*k.c]
	clear(acc)
	vSum64Rows(acc, k.dy[lo*k.c:hi*k.c], k.c)
}

// sumRows adds the first n rows of width c of partial, in order, into dst.
func sumRows(partial []float64, n, c int, dst []float32) {
	for j := range dst {
		s := 0.0
		for i := 0; i < n; i++ {
			s += partial[i*c+j]
		}
		dst[j] = float32(s)
	}
}

// add is a bound tensor.Add: Y = A + B.
type add struct {
	a, b, y   []float32
	size      int
	unbatched bool
	total     int
	fn        func(int)
}

func (p *program) bindAdd(o tensor.Add) (kernel, error) {
	bs, err := p.need(idRole{o.A, "A"}, idRole{o.B, "B"}, idRole{o.Y, "Y"})
	if err != nil {
		return nil, err
	}
	k := &add{a: bs[0], b: bs[1], y: bs[2], size: o.Size, unbatched: o.Unbatched}
	k.fn = k.chunk
	return k, nil
}

func (k *add) run(a *tensor.StepArgs) {
	k.total = a.Rows * k.size
	if k.unbatched {
		k.total = k.size
	}
	parallelFor(numChunks(k.total, elemChunk), k.fn)
}

func (k *add) chunk(i int) {
	lo, hi := chunkBounds(i, k.total, elemChunk)
	vAdd3(k.y[lo:hi], k.a[lo:hi], k.b[lo:hi])
}

// strided copies slices along the last axis between one wide buffer and
// several narrow ones: Concat (narrow → wide) and Split (wide → narrow).
type strided struct {
	wide   []float32
	narrow [][]float32
	widths []int
	offs   []int // where each narrow buffer starts within a wide position
	stride int   // the wide buffer's values per position
	gather bool  // true for Concat
	total  int   // positions this step
	outer  int
	fn     func(int)
}

func newStrided(p *program, wideID tensor.BufferID, ids []tensor.BufferID, widths []int, outer int, gather bool) (*strided, error) {
	wide, err := p.buf(wideID, "the concatenated buffer")
	if err != nil {
		return nil, err
	}
	k := &strided{wide: wide, widths: append([]int(nil), widths...), outer: outer, gather: gather}
	for i, id := range ids {
		b, err := p.buf(id, "a concatenated part")
		if err != nil {
			return nil, err
		}
		k.narrow = append(k.narrow, b)
		k.offs = append(k.offs, k.stride)
		k.stride += widths[i]
	}
	k.fn = k.chunk
	return k, nil
}

func (p *program) bindConcat(o tensor.Concat) (kernel, error) {
	return newStrided(p, o.Y, o.Inputs, o.Widths, o.Outer, true)
}

func (p *program) bindSplit(o tensor.Split) (kernel, error) {
	return newStrided(p, o.X, o.Outputs, o.Widths, o.Outer, false)
}

func (k *strided) run(a *tensor.StepArgs) {
	k.total = a.Rows * k.outer
	parallelFor(numChunks(k.total, posChunk(k.stride)), k.fn)
}

func (k *strided) chunk(i int) {
	lo, hi := chunkBounds(i, k.total, posChunk(k.stride))
	for part, nb := range k.narrow {
		w, off := k.widths[part], k.offs[part]
		for r := lo; r < hi; r++ {
			wide := k.wide[r*k.stride+off : r*k.stride+off+w]
			narrow := nb[r*w : (r+1)*w]
			if k.gather {
				copy(wide, narrow)
			} else {
				copy(narrow, wide)
			}
		}
	}
}
