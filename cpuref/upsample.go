package cpuref

import "github.com/anvil-ml/anvil/tensor"

// upSample is a bound tensor.UpSample2D or, with back set,
// tensor.UpSample2DBackward: the same index walk copies forward and sums
// each block in order backward.
type upSample struct {
	small, big      []float32 // X and Y, or DX and DY
	h, w, c, sh, sw int
	back            bool
}

func (p *program) bindUpSample(o tensor.UpSample2D) (kernel, error) {
	bs, err := p.need(idRole{o.X, "X"}, idRole{o.Y, "Y"})
	if err != nil {
		return nil, err
	}
	return &upSample{small: bs[0], big: bs[1], h: o.H, w: o.W, c: o.C, sh: o.SH, sw: o.SW}, nil
}

func (p *program) bindUpSampleBackward(o tensor.UpSample2DBackward) (kernel, error) {
	bs, err := p.need(idRole{o.DX, "DX"}, idRole{o.DY, "DY"})
	if err != nil {
		return nil, err
	}
	return &upSample{small: bs[0], big: bs[1], h: o.H, w: o.W, c: o.C, sh: o.SH, sw: o.SW, back: true}, nil
}

func (k *upSample) run(a *tensor.StepArgs) {
	bw := k.w * k.sw // output width
	for n := range a.Rows {
		for h := range k.h {
			for w := range k.w {
				for c := range k.c {
					s := ((n*k.h+h)*k.w+w)*k.c + c
					sum := float32(0)
					for i := range k.sh {
						for j := range k.sw {
							b := ((n*k.h*k.sh+h*k.sh+i)*bw+w*k.sw+j)*k.c + c
							if k.back {
								sum += k.big[b]
							} else {
								k.big[b] = k.small[s]
							}
						}
					}
					if k.back {
						k.small[s] = sum
					}
				}
			}
		}
	}
}
