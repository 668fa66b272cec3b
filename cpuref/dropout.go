package cpuref

import "github.com/anvil-ml/anvil/tensor"

// dropout is a bound tensor.Dropout or tensor.DropoutBackward: both scale
// kept elements by 1/(1−Rate) and zero the rest, and the backward pass
// recomputes the forward mask from (seed, step, Salt, index) rather than
// storing it. Element i of sample n has index (RowOffset+n)·Size+i: the
// flat offset into the batch plus the offset of the batch's first row.
type dropout struct {
	in, out []float32
	size    int
	rate    float32
	salt    uint32
	scale   float32
	total   int
	base    uint32 // RowOffset·size, the index of the batch's first element
	seed    uint64
	step    uint64
	fn      func(int)
}

func newDropout(p *program, in, out tensor.BufferID, size int, rate float32, salt uint32) (*dropout, error) {
	bs, err := p.need(idRole{in, "input"}, idRole{out, "output"})
	if err != nil {
		return nil, err
	}
	k := &dropout{in: bs[0], out: bs[1], size: size, rate: rate, salt: salt, scale: 1 / (1 - rate)}
	k.fn = k.chunk
	return k, nil
}

func (p *program) bindDropout(o tensor.Dropout) (kernel, error) {
	return newDropout(p, o.X, o.Y, o.Size, o.Rate, o.Salt)
}

func (p *program) bindDropoutBackward(o tensor.DropoutBackward) (kernel, error) {
	return newDropout(p, o.DY, o.DX, o.Size, o.Rate, o.Salt)
}

func (k *dropout) run(a *tensor.StepArgs) {
	k.total = a.Rows * k.size
	k.seed, k.step = a.Seed, a.Step
	k.base = uint32(a.RowOffset) * uint32(k.size) // wraps as the shader's uint arithmetic does
	parallelFor(numChunks(k.total, rngChunk), k.fn)
}

func (k *dropout) chunk(i int) {
	lo, hi := chunkBounds(i, k.total, rngChunk)
	for j := lo; j < hi; j++ {
		if tensor.Uniform(k.seed, k.step, k.salt, k.base+uint32(j)) >= k.rate {
			k.out[j] = k.in[j] * k.scale
		} else {
			k.out[j] = 0
		}
	}
}
