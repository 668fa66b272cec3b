package cpuref

import (
	"math"

	"github.com/anvil-ml/anvil/tensor"
)

// The augmentation kernels (tensor.Transform2D, tensor.RandomContrast2D)
// run in float32 in the order the shaders use, drawing each image's
// parameters from tensor.Uniform keyed by its global index RowOffset+n.

type transform2D struct {
	o    tensor.Transform2D
	x, y []float32
	a    *tensor.StepArgs
	fn   func(int)
}

func (p *program) bindTransform2D(o tensor.Transform2D) (kernel, error) {
	bs, err := p.need(idRole{o.X, "X"}, idRole{o.Y, "Y"})
	if err != nil {
		return nil, err
	}
	k := &transform2D{o: o, x: bs[0], y: bs[1]}
	k.fn = k.image
	return k, nil
}

func (k *transform2D) run(a *tensor.StepArgs) {
	k.a = a
	parallelFor(a.Rows, k.fn)
}

// image resamples image n.
func (k *transform2D) image(n int) {
	o := k.o
	g := uint32(k.a.RowOffset + n) // wraps as the shader's uint arithmetic does
	u0 := tensor.Uniform(k.a.Seed, k.a.Step, o.Salt, 2*g)
	u1 := tensor.Uniform(k.a.Seed, k.a.Step, o.Salt, 2*g+1)
	sx, tx, sy, ty := tensor.AugmentParams(o, u0, u1)
	src := k.x[n*o.H*o.W*o.C : (n+1)*o.H*o.W*o.C]
	dst := k.y[n*o.OH*o.OW*o.C : (n+1)*o.OH*o.OW*o.C]
	for r := range o.OH {
		sr := float32(sy*float32(r)) + ty
		for c := range o.OW {
			sc := float32(sx*float32(c)) + tx
			for ch := range o.C {
				dst[(r*o.OW+c)*o.C+ch] = sample(o, src, sr, sc, ch)
			}
		}
	}
}

// sample reads channel ch of an image at source point (sr, sc).
func sample(o tensor.Transform2D, img []float32, sr, sc float32, ch int) float32 {
	if o.Interp == tensor.Nearest {
		return fetch(o, img, int(math.RoundToEven(float64(sr))), int(math.RoundToEven(float64(sc))), ch)
	}
	fr := float32(math.Floor(float64(sr)))
	fc := float32(math.Floor(float64(sc)))
	wr1, wc1 := sr-fr, sc-fc
	wr0, wc0 := 1-wr1, 1-wc1
	ir, ic := int(fr), int(fc)
	top := float32(fetch(o, img, ir, ic, ch)*wc0) + float32(fetch(o, img, ir, ic+1, ch)*wc1)
	bot := float32(fetch(o, img, ir+1, ic, ch)*wc0) + float32(fetch(o, img, ir+1, ic+1, ch)*wc1)
	return float32(top*wr0) + float32(bot*wr1)
}

// fetch reads pixel (r, c), channel ch, with o's fill mode.
func fetch(o tensor.Transform2D, img []float32, r, c, ch int) float32 {
	r, okr := fillIndex(r, o.H, o.Fill)
	c, okc := fillIndex(c, o.W, o.Fill)
	if !okr || !okc {
		return o.FillValue
	}
	return img[(r*o.W+c)*o.C+ch]
}

// fillIndex maps index i of an axis of n pixels into [0, n) by the fill
// mode; false means "use the fill value" (constant mode, outside).
func fillIndex(i, n int, mode tensor.FillMode) (int, bool) {
	if i >= 0 && i < n {
		return i, true
	}
	switch mode {
	case tensor.FillConstant:
		return 0, false
	case tensor.FillNearest:
		return min(max(i, 0), n-1), true
	case tensor.FillWrap:
		return posMod(i, n), true
	case tensor.FillMirror:
		if n == 1 {
			return 0, true
		}
		i = posMod(i, 2*n-2)
		if i >= n {
			i = 2*n - 2 - i
		}
		return i, true
	default: // reflect
		i = posMod(i, 2*n)
		if i >= n {
			i = 2*n - 1 - i
		}
		return i, true
	}
}

// posMod is i mod p in [0, p), written as the shader writes it (GLSL's %
// is undefined for negative operands).
func posMod(i, p int) int {
	if i < 0 {
		i += p * (-i/p + 1)
	}
	return i % p
}

type contrast2D struct {
	o    tensor.RandomContrast2D
	x, y []float32
	a    *tensor.StepArgs
	fn   func(int)
}

func (p *program) bindRandomContrast2D(o tensor.RandomContrast2D) (kernel, error) {
	bs, err := p.need(idRole{o.X, "X"}, idRole{o.Y, "Y"})
	if err != nil {
		return nil, err
	}
	k := &contrast2D{o: o, x: bs[0], y: bs[1]}
	k.fn = k.image
	return k, nil
}

func (k *contrast2D) run(a *tensor.StepArgs) {
	k.a = a
	parallelFor(a.Rows, k.fn)
}

// image adjusts the contrast of image n, channel by channel.
func (k *contrast2D) image(n int) {
	o := k.o
	f := contrastFactor(o.Lo, o.Hi, o.Salt, k.a, n)
	base := n * o.Pixels * o.C
	for ch := range o.C {
		mean := channelMean(k.x, base, o.Pixels, o.C, ch)
		for p := range o.Pixels {
			i := base + p*o.C + ch
			v := float32((k.x[i]-mean)*f) + mean
			k.y[i] = min(max(v, o.Min), o.Max)
		}
	}
}

// contrastFactor is image n's contrast factor, uniform in [lo, hi) from
// the Philox stream of (seed, step, salt, the image's global index); the
// forward and the backward pass draw the same one.
func contrastFactor(lo, hi float32, salt uint32, a *tensor.StepArgs, n int) float32 {
	return lo + float32(tensor.Uniform(a.Seed, a.Step, salt, uint32(a.RowOffset+n))*(hi-lo))
}

// channelMean is the mean of channel ch over the pixels of the NHWC image
// at base, summed in pixel order.
func channelMean(x []float32, base, pixels, c, ch int) float32 {
	sum := float32(0)
	for p := range pixels {
		sum += x[base+p*c+ch]
	}
	return sum / float32(pixels)
}
