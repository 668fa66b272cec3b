package cpuref

import "github.com/anvil-ml/anvil/tensor"

// The augmentation gradients (tensor.Transform2DBackward,
// tensor.RandomContrast2DBackward), computed as the shaders compute them:
// each input element gathers its gradient, so no two writes meet.

type transform2DBackward struct {
	o      tensor.Transform2D
	dy, dx []float32
	a      *tensor.StepArgs
	fn     func(int)
}

func (p *program) bindTransform2DBackward(o tensor.Transform2DBackward) (kernel, error) {
	bs, err := p.need(idRole{o.DY, "DY"}, idRole{o.DX, "DX"})
	if err != nil {
		return nil, err
	}
	k := &transform2DBackward{o: o.Op, dy: bs[0], dx: bs[1]}
	k.fn = k.image
	return k, nil
}

func (k *transform2DBackward) run(a *tensor.StepArgs) {
	k.a = a
	parallelFor(a.Rows, k.fn)
}

// image gathers image n's input gradient: a flip or crop's source map
// src = s·dst + t with s = ±1 and whole t inverts exactly to
// dst = s·(src − t).
func (k *transform2DBackward) image(n int) {
	o := k.o
	g := uint32(k.a.RowOffset + n)
	u0 := tensor.Uniform(k.a.Seed, k.a.Step, o.Salt, 2*g)
	u1 := tensor.Uniform(k.a.Seed, k.a.Step, o.Salt, 2*g+1)
	sx, tx, sy, ty := tensor.AugmentParams(o, u0, u1)
	dy := k.dy[n*o.OH*o.OW*o.C : (n+1)*o.OH*o.OW*o.C]
	dx := k.dx[n*o.H*o.W*o.C : (n+1)*o.H*o.W*o.C]
	for r := range o.H {
		or := int((float32(r) - ty) * sy)
		for c := range o.W {
			oc := int((float32(c) - tx) * sx)
			inside := or >= 0 && or < o.OH && oc >= 0 && oc < o.OW
			for ch := range o.C {
				v := float32(0)
				if inside {
					v = dy[(or*o.OW+oc)*o.C+ch]
				}
				dx[(r*o.W+c)*o.C+ch] = v
			}
		}
	}
}

type contrast2DBackward struct {
	o         tensor.RandomContrast2DBackward
	x, dy, dx []float32
	a         *tensor.StepArgs
	fn        func(int)
}

func (p *program) bindRandomContrast2DBackward(o tensor.RandomContrast2DBackward) (kernel, error) {
	bs, err := p.need(idRole{o.X, "X"}, idRole{o.DY, "DY"}, idRole{o.DX, "DX"})
	if err != nil {
		return nil, err
	}
	k := &contrast2DBackward{o: o, x: bs[0], dy: bs[1], dx: bs[2]}
	k.fn = k.image
	return k, nil
}

func (k *contrast2DBackward) run(a *tensor.StepArgs) {
	k.a = a
	parallelFor(a.Rows, k.fn)
}

// image computes image n's input gradient, channel by channel.
func (k *contrast2DBackward) image(n int) {
	o := k.o
	f := contrastFactor(o.Lo, o.Hi, o.Salt, k.a, n)
	base := n * o.Pixels * o.C
	for ch := range o.C {
		mean := channelMean(k.x, base, o.Pixels, o.C, ch)
		kept := func(i int) bool {
			v := float32((k.x[i]-mean)*f) + mean
			return v >= o.Min && v <= o.Max
		}
		s := float32(0)
		for p := range o.Pixels {
			if i := base + p*o.C + ch; kept(i) {
				s += k.dy[i]
			}
		}
		g := float32((1-f)*s) / float32(o.Pixels)
		for p := range o.Pixels {
			i := base + p*o.C + ch
			d := float32(0)
			if kept(i) {
				d = f * k.dy[i]
			}
			k.dx[i] = d + g
		}
	}
}
