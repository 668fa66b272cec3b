package selftest

import (
	"fmt"
	"math/rand/v2"

	"github.com/anvil-ml/anvil/tensor"
)

// optimizerFamilies: SGD (plain, momentum, Nesterov), Adam and RMSprop
// (plain and with momentum), each for three steps with a new gradient and
// a new learning rate every step.
func optimizerFamilies() []family {
	return []family{
		{name: "sgd", build: optimizerCases(sgdOps)},
		{name: "adam", build: optimizerCases(adamOps)},
		{name: "rmsprop", build: optimizerCases(rmspropOps)},
	}
}

// optimizerOps adds the ops of one family to c; slot makes a state
// buffer that starts at zero, as Keras's slots do.
type optimizerOps func(c *opCase, size int, param func(string) (tensor.BufferID, tensor.BufferID), slot func(string) tensor.BufferID)

func sgdOps(c *opCase, size int, param func(string) (tensor.BufferID, tensor.BufferID), slot func(string) tensor.BufferID) {
	p, g := param("sgd")
	c.emit(fmt.Sprintf("SGD size %d", size), tensor.SGDUpdate{Param: p, Grad: g, Velocity: tensor.NoBuffer, Size: size}, nil)
	p, g = param("momentum")
	c.emit(fmt.Sprintf("SGD momentum 0.9 size %d", size),
		tensor.SGDUpdate{Param: p, Grad: g, Velocity: slot("momentum v"), Size: size, Momentum: 0.9}, nil)
	p, g = param("nesterov")
	c.emit(fmt.Sprintf("SGD Nesterov 0.9 size %d", size),
		tensor.SGDUpdate{Param: p, Grad: g, Velocity: slot("nesterov v"), Size: size, Momentum: 0.9, Nesterov: true}, nil)
}

func adamOps(c *opCase, size int, param func(string) (tensor.BufferID, tensor.BufferID), slot func(string) tensor.BufferID) {
	for _, b1 := range []float32{0.9, 0.5} {
		p, g := param(fmt.Sprintf("adam b1=%v", b1))
		c.emit(fmt.Sprintf("Adam beta1 %v size %d", b1, size), tensor.AdamUpdate{Param: p, Grad: g,
			M: slot(fmt.Sprintf("adam b1=%v m", b1)), V: slot(fmt.Sprintf("adam b1=%v v", b1)),
			Size: size, Beta1: b1, Beta2: 0.999, Epsilon: 1e-7}, nil)
	}
}

func rmspropOps(c *opCase, size int, param func(string) (tensor.BufferID, tensor.BufferID), slot func(string) tensor.BufferID) {
	p, g := param("rmsprop")
	c.emit(fmt.Sprintf("RMSprop size %d", size), tensor.RMSpropUpdate{Param: p, Grad: g, MeanSquare: slot("rmsprop ms"),
		Velocity: tensor.NoBuffer, Size: size, Rho: 0.9, Epsilon: 1e-7}, nil)
	p, g = param("rmsprop momentum")
	c.emit(fmt.Sprintf("RMSprop momentum 0.5 size %d", size), tensor.RMSpropUpdate{Param: p, Grad: g,
		MeanSquare: slot("rmsprop momentum ms"), Velocity: slot("rmsprop momentum v"),
		Size: size, Rho: 0.9, Momentum: 0.5, Epsilon: 1e-7}, nil)
}

// optimizerCases runs a family's variants over a parameter of random size
// (rarely a multiple of a workgroup), every buffer within OptimizerTol.
func optimizerCases(ops optimizerOps) func(r *rand.Rand) []*opCase {
	return func(r *rand.Rand) []*opCase {
		c := newCase(1, 1)
		c.name, c.steps = "optimizer", 3
		size := between(r, 1, 1500)
		var grads []tensor.BufferID
		param := func(name string) (tensor.BufferID, tensor.BufferID) {
			g := c.buf(name+" grad", tensor.GradientBuffer, false, size)
			grads = append(grads, g)
			return c.buf(name, tensor.ParamBuffer, false, size), g
		}
		slot := func(name string) tensor.BufferID {
			id := c.buf(name, tensor.StateBuffer, false, size)
			c.init[id] = make([]float32, size)
			return id
		}
		ops(c, size, param, slot)
		for id := range c.plan.Buffers {
			c.tols[tensor.BufferID(id)] = fixed(OptimizerTol)
		}
		perStep := make([]map[tensor.BufferID][]float32, c.steps)
		for i := range perStep {
			perStep[i] = map[tensor.BufferID][]float32{}
			for _, g := range grads {
				perStep[i][g] = uniform(r, size, 1)
			}
		}
		c.perStep = func(i int) map[tensor.BufferID][]float32 { return perStep[i] }
		return []*opCase{c}
	}
}
