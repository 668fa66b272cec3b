package selftest

import (
	"fmt"
	"math/rand/v2"

	"github.com/anvil-ml/anvil/tensor"
)

// upSampleFamilies: UpSample2D copies, and its backward adds each block in
// the same order on both backends, so both must match exactly.
func upSampleFamilies() []family {
	return []family{{name: "upsample2d", build: upSampleCases}}
}

func upSampleCases(r *rand.Rand) []*opCase {
	batch, rows := batchRows(r)
	c := newCase(batch, rows...)
	c.name = "upsample2d"
	for i := range 3 {
		h, w, ch := between(r, 1, 6), between(r, 1, 6), between(r, 1, 9)
		sh, sw := between(r, 1, 3), between(r, 1, 3)
		p := fmt.Sprintf("up%d ", i)
		desc := fmt.Sprintf("%dx%dx%d by %dx%d", h, w, ch, sh, sw)
		c.emit("UpSample2D "+desc, tensor.UpSample2D{X: c.buf(p+"X", tensor.ActivationBuffer, true, h, w, ch),
			Y: c.buf(p+"Y", tensor.ActivationBuffer, true, h*sh, w*sw, ch), H: h, W: w, C: ch, SH: sh, SW: sw}, nil)
		c.emit("UpSample2DBackward "+desc, tensor.UpSample2DBackward{
			DY: c.buf(p+"DY", tensor.GradientBuffer, true, h*sh, w*sw, ch),
			DX: c.buf(p+"DX", tensor.GradientBuffer, true, h, w, ch), H: h, W: w, C: ch, SH: sh, SW: sw}, nil)
	}
	return []*opCase{c}
}
