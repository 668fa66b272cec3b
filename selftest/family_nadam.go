package selftest

import (
	"fmt"
	"math/rand/v2"

	"github.com/anvil-ml/anvil/tensor"
)

// nadamFamilies: AdamW (Adam with decoupled weight decay) and Nadam, each
// for three steps with a new gradient and learning rate every step, as the
// other optimizer families, within NadamTol.
func nadamFamilies() []family {
	return []family{
		{name: "adamw", build: withTol(optimizerCases(adamWOps), NadamTol)},
		{name: "nadam", build: withTol(optimizerCases(nadamOps), NadamTol)},
	}
}

func adamWOps(c *opCase, size int, param func(string) (tensor.BufferID, tensor.BufferID), slot func(string) tensor.BufferID) {
	for _, wd := range []float32{0.004, 0.1} {
		p, g := param(fmt.Sprintf("adamw wd=%v", wd))
		c.emit(fmt.Sprintf("AdamW weight decay %v size %d", wd, size), tensor.AdamUpdate{Param: p, Grad: g,
			M: slot(fmt.Sprintf("adamw wd=%v m", wd)), V: slot(fmt.Sprintf("adamw wd=%v v", wd)),
			Size: size, Beta1: 0.9, Beta2: 0.999, Epsilon: 1e-7, WeightDecay: wd}, nil)
	}
}

func nadamOps(c *opCase, size int, param func(string) (tensor.BufferID, tensor.BufferID), slot func(string) tensor.BufferID) {
	for _, b1 := range []float32{0.9, 0.5} {
		p, g := param(fmt.Sprintf("nadam b1=%v", b1))
		u := c.buf(fmt.Sprintf("nadam b1=%v u_product", b1), tensor.StateBuffer, false, tensor.NadamProductSize)
		c.init[u] = make([]float32, tensor.NadamProductSize)
		c.emit(fmt.Sprintf("Nadam beta1 %v size %d", b1, size), tensor.NadamUpdate{Param: p, Grad: g,
			M: slot(fmt.Sprintf("nadam b1=%v m", b1)), V: slot(fmt.Sprintf("nadam b1=%v v", b1)), Product: u,
			Size: size, Beta1: b1, Beta2: 0.999, Epsilon: 1e-7}, nil)
	}
}

// withTol holds every buffer of build's cases to tol.
func withTol(build func(r *rand.Rand) []*opCase, tol Tol) func(r *rand.Rand) []*opCase {
	return func(r *rand.Rand) []*opCase {
		cs := build(r)
		for _, c := range cs {
			for id := range c.tols {
				c.tols[id] = fixed(tol)
			}
		}
		return cs
	}
}
