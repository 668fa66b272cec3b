package cpuref

import (
	"math"

	"github.com/anvil-ml/anvil/tensor"
)

// Gradient clipping (tensor/ops_clip.go), in Keras's float32 order. The
// sum of squares accumulates in float64 per chunk and adds the chunks in
// order, so it does not depend on the number of workers.

// sumSquares is a bound tensor.SumSquares.
type sumSquares struct {
	op     tensor.SumSquares
	x, out []float32
	parts  []float64
}

func (p *program) bindSumSquares(o tensor.SumSquares) (kernel, error) {
	bs, err := p.need(idRole{o.X, "X"}, idRole{o.Out, "Out"})
	if err != nil {
		return nil, err
	}
	return &sumSquares{op: o, x: bs[0], out: bs[1], parts: make([]float64, numChunks(o.Size, elemChunk))}, nil
}

func (k *sumSquares) run(*tensor.StepArgs) {
	parallelFor(len(k.parts), func(i int) {
		lo, hi := chunkBounds(i, k.op.Size, elemChunk)
		s := 0.0
		for _, v := range k.x[lo:hi] {
			s += float64(v) * float64(v)
		}
		k.parts[i] = s
	})
	total := 0.0
	for _, s := range k.parts {
		total += s
	}
	k.out[k.op.Index] = float32(total)
}

// clipGradient is a bound tensor.ClipGradient.
type clipGradient struct {
	op          tensor.ClipGradient
	grad, norms []float32
	scale, div  float32 // this step's factors of the norm modes
}

func (p *program) bindClipGradient(o tensor.ClipGradient) (kernel, error) {
	k := &clipGradient{op: o}
	var err error
	if k.grad, err = p.buf(o.Grad, "Grad"); err != nil {
		return nil, err
	}
	if o.Mode != tensor.ClipByValue {
		if k.norms, err = p.buf(o.Norms, "Norms"); err != nil {
			return nil, err
		}
	}
	return k, nil
}

func (k *clipGradient) run(*tensor.StepArgs) {
	c := k.op.Limit
	switch k.op.Mode {
	case tensor.ClipByNorm:
		// Keras: g·c / max(‖g‖, c), ‖g‖ = sqrt(Σg²) (0 for a zero gradient).
		k.div = max(sqrt32(k.norms[k.op.Index]), c)
	case tensor.ClipByGlobalNorm:
		// Keras: c·min(1/N, 1/c), plus N−N so that a non-finite N
		// gives NaN. The partial sums add in index order, as on the GPU.
		var sum float32
		for _, s := range k.norms[:k.op.Count] {
			sum += s
		}
		n := sqrt32(sum)
		inv := float32(math.Inf(1))
		if n > 0 {
			inv = 1 / n
		}
		k.scale = c*min(inv, 1/c) + (n - n)
	}
	parallelFor(numChunks(k.op.Size, elemChunk), k.chunk)
}

func (k *clipGradient) chunk(i int) {
	lo, hi := chunkBounds(i, k.op.Size, elemChunk)
	g, c := k.grad[lo:hi], k.op.Limit
	switch k.op.Mode {
	case tensor.ClipByValue:
		for j, v := range g {
			g[j] = min(max(v, -c), c)
		}
	case tensor.ClipByNorm:
		for j, v := range g {
			g[j] = v * c / k.div
		}
	case tensor.ClipByGlobalNorm:
		for j, v := range g {
			g[j] = v * k.scale
		}
	}
}
