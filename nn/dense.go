package nn

import (
	"fmt"

	"github.com/anvil-ml/anvil/tensor"
)

// denseLayer is Keras's Dense: y = activation(x·kernel + bias) over the
// last axis of its input.
type denseLayer struct {
	*layerBase
	units        int
	kernel, bias *Variable
	in           int // width of the last input axis
	positions    int // product of the other per-sample axes
}

// Dense creates a densely connected layer of units outputs. Options:
// WithActivation, WithUseBias, WithKernelInitializer, WithBiasInitializer,
// WithKernelRegularizer.
func Dense(units int, opts ...Option) Layer {
	l := &denseLayer{units: units}
	l.layerBase = newBase("Dense", []string{"activation", "use_bias", "kernel_initializer", "bias_initializer",
		"kernel_regularizer"}, opts, l)
	if units <= 0 && l.err == nil {
		l.err = fmt.Errorf("units %d must be positive", units)
	}
	return l
}

func (l *denseLayer) build(in []tensor.Shape) (tensor.Shape, error) {
	x, err := oneInput(in)
	if err != nil {
		return nil, err
	}
	l.in = x[len(x)-1]
	l.positions = x.Size() / l.in
	kinit, _ := initializerByName(orDefault(l.cfg.kernelInitializer, "glorot_uniform"))
	l.kernel = l.addVar("kernel", tensor.Shape{l.in, l.units}, true, kinit)
	if l.cfg.useBias == nil || *l.cfg.useBias {
		binit, _ := initializerByName(orDefault(l.cfg.biasInitializer, "zeros"))
		l.bias = l.addVar("bias", tensor.Shape{l.units}, true, binit)
	}
	out := x.Clone()
	out[len(out)-1] = l.units
	return out, nil
}

// forward: Y[p×units] = X[p×in]·W[in×units] (+ b), p = batch·positions.
func (l *denseLayer) forward(e *emitter, in []tensor.BufferID) tensor.BufferID {
	y := e.act("y", l.outShape)
	e.emit(tensor.MatMul{A: in[0], B: e.param(l.kernel), C: y, M: l.positions, N: l.units, K: l.in, Batch: tensor.BatchM})
	if l.bias != nil {
		e.emit(tensor.BiasAdd{X: y, Bias: e.param(l.bias), Y: y, Outer: l.positions, C: l.units})
	}
	return y
}

// backward: dW = Xᵀ·dY, db = Σ dY, dX = dY·Wᵀ.
func (l *denseLayer) backward(e *emitter, in []tensor.BufferID, out, dOut tensor.BufferID, need []bool) []tensor.BufferID {
	e.emit(tensor.MatMul{A: in[0], B: dOut, C: e.varGrad(l.kernel), M: l.in, N: l.units, K: l.positions,
		TransA: true, Batch: tensor.BatchK})
	if l.bias != nil {
		e.emit(tensor.BiasGrad{DY: dOut, DBias: e.varGrad(l.bias), Outer: l.positions, C: l.units})
	}
	dx := []tensor.BufferID{tensor.NoBuffer}
	if need[0] {
		dx[0] = e.grad("dx", l.inShapes[0])
		e.emit(tensor.MatMul{A: dOut, B: e.param(l.kernel), C: dx[0], M: l.positions, N: l.in, K: l.units,
			TransB: true, Batch: tensor.BatchM})
	}
	return dx
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// getConfig writes Dense's Keras config.
func (l *denseLayer) getConfig() object {
	return append(object{{"units", l.units}}, l.kernelAndBiasConfig()...)
}

// denseFromConfig builds a Dense from its Keras config.
func denseFromConfig(c *layerCfg) Layer {
	units := c.Int("units", 0)
	c.kernelAndBias()
	return Dense(units, c.opts...)
}
