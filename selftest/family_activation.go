package selftest

import (
	"fmt"
	"math/rand/v2"

	"github.com/anvil-ml/anvil/tensor"
)

// activationFamilies: every activation function forward and backward, and
// dropout.
func activationFamilies() []family {
	return []family{
		{name: "activation", build: activationCases(false)},
		{name: "activation-backward", build: activationCases(true)},
		{name: "dropout", build: dropoutCases},
	}
}

var actFns = []tensor.ActFn{tensor.Linear, tensor.ReLU, tensor.LeakyReLU, tensor.Sigmoid, tensor.Tanh, tensor.Softmax,
	tensor.GELU, tensor.SiLU, tensor.ELU, tensor.SELU, tensor.Softplus}

// actTol is ActivationTol as a case's tolerance (nil: exact).
func actTol(fn tensor.ActFn, backward bool, width int) func(int) Tol {
	if t := ActivationTol(fn, backward, width); t != exact {
		return fixed(t)
	}
	return nil
}

// activationCases runs every function over a random size, softmax over
// random groups of up to 16, with inputs in [−4, 4) (sigmoid's and tanh's
// curved range), plus an in-place forward and a backward whose DX aliases
// DY.
func activationCases(backward bool) func(r *rand.Rand) []*opCase {
	return func(r *rand.Rand) []*opCase {
		batch, rows := batchRows(r)
		c := newCase(batch, rows...)
		c.name = "activations"
		const alpha = 0.3
		for i, fn := range actFns {
			width := between(r, 1, 16)
			size := width * between(r, 1, 12)
			p := fmt.Sprintf("%v%d ", fn, i)
			x := c.buf(p+"X", tensor.ActivationBuffer, true, size)
			c.init[x] = uniform(r, batch*size, 4)
			desc := fmt.Sprintf("%v size %d width %d", fn, size, width)
			if !backward {
				c.emit(desc, tensor.Activation{Fn: fn, X: x, Y: c.buf(p+"Y", tensor.ActivationBuffer, true, size),
					Size: size, Width: width, Alpha: alpha}, actTol(fn, false, width))
				continue
			}
			dy := c.buf(p+"DY", tensor.GradientBuffer, true, size)
			dx := dy
			if i%2 == 0 && fn != tensor.Softmax {
				desc += " DX aliases DY"
			} else {
				dx = c.buf(p+"DX", tensor.GradientBuffer, true, size)
			}
			c.emit(desc, tensor.ActivationBackward{Fn: fn, X: x, Y: c.buf(p+"Y", tensor.ActivationBuffer, true, size),
				DY: dy, DX: dx, Size: size, Width: width, Alpha: alpha}, actTol(fn, true, width))
		}
		if !backward {
			size := between(r, 1, 200)
			x := c.buf("relu in place", tensor.ActivationBuffer, true, size)
			c.emit(fmt.Sprintf("relu in place size %d", size), tensor.Activation{Fn: tensor.ReLU, X: x, Y: x, Size: size}, nil)
		}
		return []*opCase{c}
	}
}

// dropoutCases check that the device draws exactly cpuref's masks, forward
// and backward, for several rates and salts over two steps (the family's
// seed has its high word set: the generator keys on all 64 bits), and
// scales kept values bit-identically.
func dropoutCases(r *rand.Rand) []*opCase {
	batch, rows := batchRows(r)
	c := newCase(batch, rows...)
	c.name = "dropout"
	c.steps = 2
	for i, rate := range []float32{0, 0.3, 0.5, 0.9} {
		size := between(r, 1, 400)
		salt := r.Uint32()
		p := fmt.Sprintf("dropout%d ", i)
		desc := fmt.Sprintf("rate %v size %d salt %d", rate, size, salt)
		c.emit("Dropout "+desc, tensor.Dropout{X: c.buf(p+"X", tensor.ActivationBuffer, true, size),
			Y: c.buf(p+"Y", tensor.ActivationBuffer, true, size), Size: size, Rate: rate, Salt: salt}, nil)
		c.emit("DropoutBackward "+desc, tensor.DropoutBackward{DY: c.buf(p+"DY", tensor.GradientBuffer, true, size),
			DX: c.buf(p+"DX", tensor.GradientBuffer, true, size), Size: size, Rate: rate, Salt: salt}, nil)
	}
	return []*opCase{c}
}
