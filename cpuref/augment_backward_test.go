package cpuref

import (
	"fmt"
	"math"
	"testing"

	"github.com/anvil-ml/anvil/tensor"
)

// TestTransform2DBackwardIsAdjoint: a flip or crop is linear, so its
// gradient T' must satisfy ⟨T·x, dy⟩ = ⟨x, T'·dy⟩ for any x and dy; with
// one x per element that pins every element of T'·dy.
func TestTransform2DBackwardIsAdjoint(t *testing.T) {
	cases := []tensor.Transform2D{
		{H: 5, W: 7, OH: 5, OW: 7, Kind: tensor.AugmentFlip, HeightHi: 1, WidthHi: 1},
		{H: 4, W: 6, OH: 4, OW: 6, Kind: tensor.AugmentFlip, HeightHi: 1},
		{H: 6, W: 5, OH: 3, OW: 4, Kind: tensor.AugmentCrop},
	}
	const batch, rows, c = 5, 4, 2
	for i, o := range cases {
		t.Run(fmt.Sprintf("kind%d_%d", o.Kind, i), func(t *testing.T) {
			o.C, o.Salt = c, uint32(70+i)
			r := newRig(t, batch)
			in, out := o.H*o.W*c, o.OH*o.OW*c
			o.X, o.Y = r.batched("x", in), r.batched("y", out)
			dy, dx := r.batched("dy", out), r.batched("dx", in)
			r.emit(o, tensor.Transform2DBackward{DY: dy, DX: dx, Op: o})
			r.compile()
			rng := newRand(uint64(9 + i))
			dyv := uniform(rng, batch*out, -1, 1)
			r.write(dy, dyv)
			r.fillSentinel(dx)
			a := tensor.StepArgs{Rows: rows, Step: 4, Seed: 21, RowOffset: 2}
			// x = the j-th unit vector reads element j of T'·dy, so a few
			// random x cover every element only by luck; use a basis.
			var dxv []float32
			for j := range in {
				x := make([]float32, batch*in)
				for n := range rows {
					x[n*in+j] = 1
				}
				r.write(o.X, x)
				r.runArgs(a)
				y := r.read(o.Y)
				dxv = r.read(dx)
				for n := range rows {
					want := 0.0
					for k := range out {
						want += float64(y[n*out+k]) * float64(dyv[n*out+k])
					}
					if got := float64(dxv[n*in+j]); got != want {
						t.Fatalf("image %d element %d: ⟨T·e, dy⟩ = %v, ⟨e, T'·dy⟩ = %v", n, j, want, got)
					}
				}
			}
			r.untouched(dx, rows*in)
		})
	}
}

// contrastLoss is Σ dy·y of RandomContrast's forward in float64, for one
// image and factor f: y = clip((x − mean)·f + mean, lo, hi) per channel.
func contrastLoss(x, dy []float64, px, c int, f, lo, hi float64) float64 {
	loss := 0.0
	for ch := range c {
		mean := 0.0
		for p := range px {
			mean += x[p*c+ch] / float64(px)
		}
		for p := range px {
			i := p*c + ch
			loss += dy[i] * math.Min(math.Max((x[i]-mean)*f+mean, lo), hi)
		}
	}
	return loss
}

// TestRandomContrast2DBackwardFiniteDifference compares the gradient with
// central differences of the float64 forward, with and without clipping
// (the fixed seeds keep every value away from the clip bounds' kinks).
func TestRandomContrast2DBackwardFiniteDifference(t *testing.T) {
	const batch, rows, px, c = 3, 3, 12, 2
	for _, bounds := range [][2]float32{{-10, 10}, {-0.5, 0.6}} {
		o := tensor.RandomContrast2DBackward{Pixels: px, C: c, Lo: 0.4, Hi: 1.7, Min: bounds[0], Max: bounds[1], Salt: 5}
		r := newRig(t, batch)
		o.X, o.DY, o.DX = r.batched("x", px*c), r.batched("dy", px*c), r.batched("dx", px*c)
		r.emit(o)
		r.compile()
		rng := newRand(31)
		xv, dyv := uniform(rng, batch*px*c, -1, 1), uniform(rng, batch*px*c, -1, 1)
		r.write(o.X, xv)
		r.write(o.DY, dyv)
		a := tensor.StepArgs{Rows: rows, Step: 2, Seed: 13, RowOffset: 4}
		r.runArgs(a)
		got := r.read(o.DX)
		for n := range rows {
			f := float64(o.Lo) + float64(tensor.Uniform(a.Seed, a.Step, o.Salt, uint32(4+n)))*float64(o.Hi-o.Lo)
			x, dy := f64(xv[n*px*c:(n+1)*px*c]), f64(dyv[n*px*c:(n+1)*px*c])
			fd := numGrad(x, func() float64 {
				return contrastLoss(x, dy, px, c, f, float64(bounds[0]), float64(bounds[1]))
			}, 1e-4)
			checkClose(t, fmt.Sprintf("dx of image %d, bounds %v", n, bounds), got[n*px*c:], fd, 1e-5)
		}
	}
}

// TestRandomContrast2DBackwardAtTheBounds pins the gradient where the
// adjusted value lands exactly on Min or Max: it passes there, as the
// gradient of TF's clip_by_value does (zero only strictly outside). With
// the factor fixed at 1 (Lo = Hi = 1) the output is the input exactly,
// so pixels at 0 and 255 sit on the bounds and dx = dy.
func TestRandomContrast2DBackwardAtTheBounds(t *testing.T) {
	o := tensor.RandomContrast2DBackward{Pixels: 2, C: 1, Lo: 1, Hi: 1, Min: 0, Max: 255, Salt: 5}
	r := newRig(t, 1)
	o.X, o.DY, o.DX = r.batched("x", 2), r.batched("dy", 2), r.batched("dx", 2)
	r.emit(o)
	r.compile()
	r.write(o.X, []float32{0, 255})
	r.write(o.DY, []float32{1, 2})
	r.runArgs(tensor.StepArgs{Rows: 1, Step: 1, Seed: 3})
	checkClose(t, "dx", r.read(o.DX), []float64{1, 2}, 0)
}
