package nn

import (
	"github.com/anvil-ml/anvil/tensor"
)

// layerNormLayer is Keras's LayerNormalization over the last axis: each
// position's values are normalised with their own mean and variance, then
// scaled by gamma and shifted by beta (per feature).
type layerNormLayer struct {
	*layerBase
	outer, c    int
	gamma, beta *Variable
}

// LayerNormalization normalises over the last axis with Keras's defaults:
// epsilon 1e-3, center and scale on (gamma ones, beta zeros). Options:
// WithEpsilon. Keras's center=False, scale=False and other axes are not
// supported.
func LayerNormalization(opts ...Option) Layer {
	l := &layerNormLayer{}
	l.layerBase = newBase("LayerNormalization", []string{"epsilon"}, opts, l)
	if !l.cfg.set["epsilon"] {
		l.cfg.epsilon = 1e-3
	}
	return l
}

func (l *layerNormLayer) build(in []tensor.Shape) (tensor.Shape, error) {
	x, err := oneInput(in)
	if err != nil {
		return nil, err
	}
	l.c = x[len(x)-1]
	l.outer = x.Size() / l.c
	ones, _ := initializerByName("ones")
	zeros, _ := initializerByName("zeros")
	l.gamma = l.addVar("gamma", tensor.Shape{l.c}, true, ones)
	l.beta = l.addVar("beta", tensor.Shape{l.c}, true, zeros)
	return x.Clone(), nil
}

func (l *layerNormLayer) forward(e *emitter, in []tensor.BufferID) tensor.BufferID {
	y := e.act("y", l.outShape)
	e.emit(tensor.LayerNorm{X: in[0], Gamma: e.param(l.gamma), Beta: e.param(l.beta), Y: y,
		Stats: l.stats(e), Outer: l.outer, C: l.c, Epsilon: l.cfg.epsilon})
	return y
}

// stats is the per-position mean and rstd the forward op saves for the
// backward ops.
func (l *layerNormLayer) stats(e *emitter) tensor.BufferID {
	return e.act("stats", tensor.Shape{l.outer, 2})
}

func (l *layerNormLayer) backward(e *emitter, in []tensor.BufferID, out, dOut tensor.BufferID, need []bool) []tensor.BufferID {
	stats := l.stats(e)
	e.emit(tensor.LayerNormParamGrad{X: in[0], Stats: stats, DY: dOut, DGamma: e.varGrad(l.gamma),
		DBeta: e.varGrad(l.beta), Outer: l.outer, C: l.c})
	dx := []tensor.BufferID{tensor.NoBuffer}
	if need[0] {
		dx[0] = e.grad("dx", l.inShapes[0])
		e.emit(tensor.LayerNormBackward{X: in[0], Stats: stats, Gamma: e.param(l.gamma), DY: dOut, DX: dx[0],
			Outer: l.outer, C: l.c})
	}
	return dx
}

// getConfig writes LayerNormalization's Keras config.
func (l *layerNormLayer) getConfig() object {
	o := object{{"axis", -1}, {"epsilon", l.cfg.epsilon}, {"center", true}, {"scale", true},
		{"beta_initializer", initializerConfig("zeros")}, {"gamma_initializer", initializerConfig("ones")}}
	return append(o, offConfig("beta_regularizer", "gamma_regularizer", "beta_constraint", "gamma_constraint")...)
}

// layerNormFromConfig builds a LayerNormalization from its Keras config.
func layerNormFromConfig(c *layerCfg) Layer {
	c.Axis("axis")
	c.add(WithEpsilon(c.Number("epsilon", 1e-3)))
	c.Require("center", "true")
	c.Require("scale", "true")
	c.Require("rms_scaling", "false")
	for _, kv := range [][2]string{{"beta_initializer", "zeros"}, {"gamma_initializer", "ones"}} {
		key, want := kv[0], kv[1]
		if got := c.initializer(key, want); got != want && c.Err() == nil {
			c.Fail(key, "%s is not supported: Anvil initialises LayerNormalization with Keras's defaults (%s)", got, want)
		}
	}
	return LayerNormalization(c.opts...)
}
