package cpuref

import (
	"testing"

	"github.com/anvil-ml/anvil/tensor"
)

// TestUpSample2DAgainstReference checks nearest-neighbour upsampling
// (Keras's UpSampling2D default) with unequal factors on a partial
// batch: output pixel (i, j) of an image copies input pixel (i/sh, j/sw),
// and the backward op sums each sh×sw block of the output gradient. The
// reference walks the output and divides; the kernel walks the input and
// multiplies. Rows past the two given keep their sentinels.
func TestUpSample2DAgainstReference(t *testing.T) {
	const batch, rows, h, w, c, sh, sw = 3, 2, 2, 3, 2, 2, 3
	small, big := h*w*c, h*sh*w*sw*c
	r := newRig(t, batch)
	x, y, dy, dx := r.batched("x", small), r.batched("y", big), r.batched("dy", big), r.batched("dx", small)
	r.emit(tensor.UpSample2D{X: x, Y: y, H: h, W: w, C: c, SH: sh, SW: sw},
		tensor.UpSample2DBackward{DY: dy, DX: dx, H: h, W: w, C: c, SH: sh, SW: sw})
	r.compile()
	xv, dv := uniform(newRand(5), batch*small, -1, 1), uniform(newRand(6), batch*big, -1, 1)
	r.write(x, xv)
	r.write(dy, dv)
	r.fillSentinel(y)
	r.fillSentinel(dx)
	r.run(rows)

	wantY, wantDX := make([]float64, rows*big), make([]float64, rows*small)
	for n := range rows {
		for i := range h * sh {
			for j := range w * sw {
				for k := range c {
					out := ((n*h*sh+i)*w*sw+j)*c + k
					in := ((n*h+i/sh)*w+j/sw)*c + k
					wantY[out] = float64(xv[in])
					wantDX[in] += float64(dv[out])
				}
			}
		}
	}
	checkClose(t, "y", r.read(y), wantY, 0)
	checkClose(t, "dx", r.read(dx), wantDX, 1e-6)
	r.untouched(y, rows*big)
	r.untouched(dx, rows*small)
}
