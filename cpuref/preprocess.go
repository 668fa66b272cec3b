package cpuref

import (
	"math"

	"github.com/anvil-ml/anvil/tensor"
)

// The preprocessing kernels: tensor.Rescale, tensor.Normalize and its
// backward, elementwise in float32 as the shaders compute them.

type rescale struct {
	x, y          []float32
	size          int
	scale, offset float32
}

func (p *program) bindRescale(o tensor.Rescale) (kernel, error) {
	bs, err := p.need(idRole{o.X, "X"}, idRole{o.Y, "Y"})
	if err != nil {
		return nil, err
	}
	return &rescale{x: bs[0], y: bs[1], size: o.Size, scale: o.Scale, offset: o.Offset}, nil
}

func (k *rescale) run(a *tensor.StepArgs) {
	for i := range a.Rows * k.size {
		k.y[i] = float32(k.x[i]*k.scale) + k.offset
	}
}

// normalize is a bound tensor.Normalize (mean set) or
// tensor.NormalizeBackward (mean nil: only the division).
type normalize struct {
	x, y, mean, variance []float32
	size, width, inner   int
}

func (p *program) bindNormalize(o tensor.Normalize) (kernel, error) {
	bs, err := p.need(idRole{o.X, "X"}, idRole{o.Y, "Y"}, idRole{o.Mean, "Mean"}, idRole{o.Variance, "Variance"})
	if err != nil {
		return nil, err
	}
	return &normalize{x: bs[0], y: bs[1], mean: bs[2], variance: bs[3], size: o.Size, width: o.Width, inner: o.Inner}, nil
}

func (p *program) bindNormalizeBackward(o tensor.NormalizeBackward) (kernel, error) {
	bs, err := p.need(idRole{o.DY, "DY"}, idRole{o.DX, "DX"}, idRole{o.Variance, "Variance"})
	if err != nil {
		return nil, err
	}
	return &normalize{x: bs[0], y: bs[1], variance: bs[2], size: o.Size, width: o.Width, inner: o.Inner}, nil
}

func (k *normalize) run(a *tensor.StepArgs) {
	for i := range a.Rows * k.size {
		c := (i % k.size / k.inner) % k.width
		std := max(float32(math.Sqrt(float64(k.variance[c]))), tensor.NormalizeEpsilon)
		v := k.x[i]
		if k.mean != nil {
			v -= k.mean[c]
		}
		k.y[i] = v / std
	}
}
