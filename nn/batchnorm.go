package nn

import (
	"github.com/anvil-ml/anvil/tensor"
)

// batchNormLayer is Keras's BatchNormalization over the last axis.
type batchNormLayer struct {
	*layerBase
	gamma, beta, movingMean, movingVar *Variable
	outer, c                           int
}

// BatchNormalization normalises each channel (the last axis) with batch
// statistics while training and moving statistics otherwise. Options:
// WithMomentum (default 0.99), WithEpsilon (default 1e-3), WithSynchronized
// (default off).
func BatchNormalization(opts ...Option) Layer {
	l := &batchNormLayer{}
	l.layerBase = newBase("BatchNormalization", []string{"momentum", "epsilon", "synchronized"}, opts, l)
	if !l.cfg.set["momentum"] {
		l.cfg.momentum = 0.99
	}
	if !l.cfg.set["epsilon"] {
		l.cfg.epsilon = 1e-3
	}
	return l
}

func (l *batchNormLayer) build(in []tensor.Shape) (tensor.Shape, error) {
	x, err := oneInput(in)
	if err != nil {
		return nil, err
	}
	l.c = x[len(x)-1]
	l.outer = x.Size() / l.c
	ones, zeros := constant(1), constant(0)
	shape := tensor.Shape{l.c}
	l.gamma = l.addVar("gamma", shape, true, ones)
	l.beta = l.addVar("beta", shape, true, zeros)
	l.movingMean = l.addVar("moving_mean", shape, false, zeros)
	l.movingVar = l.addVar("moving_variance", shape, false, ones)
	return x.Clone(), nil
}

func (l *batchNormLayer) forward(e *emitter, in []tensor.BufferID) tensor.BufferID {
	y := e.act("y", l.outShape)
	if !e.training {
		e.emit(tensor.BatchNormInfer{X: in[0], Gamma: e.param(l.gamma), Beta: e.param(l.beta),
			MovingMean: e.param(l.movingMean), MovingVar: e.param(l.movingVar), Y: y,
			Outer: l.outer, C: l.c, Epsilon: l.cfg.epsilon})
		return y
	}
	// Keras uses TensorFlow's fused kernel for 4-D inputs (images), which
	// feeds the unbiased batch variance into the moving average, and
	// tf.nn.moments (biased) otherwise.
	e.emit(tensor.BatchNormTrain{X: in[0], Gamma: e.param(l.gamma), Beta: e.param(l.beta),
		MovingMean: e.param(l.movingMean), MovingVar: e.param(l.movingVar), Y: y,
		Mean: e.state("mean", l.c), InvStd: e.state("invstd", l.c), Outer: l.outer, C: l.c,
		Momentum: l.cfg.momentum, Epsilon: l.cfg.epsilon, UnbiasedMovingVar: len(l.inShapes[0]) == 3})
	return y
}

func (l *batchNormLayer) backward(e *emitter, in []tensor.BufferID, out, dOut tensor.BufferID, need []bool) []tensor.BufferID {
	dx := e.grad("dx", l.inShapes[0])
	e.emit(tensor.BatchNormBackward{X: in[0], DY: dOut, Gamma: e.param(l.gamma),
		Mean: e.state("mean", l.c), InvStd: e.state("invstd", l.c),
		DX: dx, DGamma: e.varGrad(l.gamma), DBeta: e.varGrad(l.beta), Outer: l.outer, C: l.c})
	if !need[0] {
		// The op computes DX with the parameter gradients at no extra cost;
		// nothing reads it.
		return []tensor.BufferID{tensor.NoBuffer}
	}
	return []tensor.BufferID{dx}
}

// getConfig writes BatchNormalization's Keras config.
func (l *batchNormLayer) getConfig() object {
	o := object{{"axis", -1}, {"momentum", l.cfg.momentum}, {"epsilon", l.cfg.epsilon},
		{"center", true}, {"scale", true},
		{"beta_initializer", initializerConfig("zeros")}, {"gamma_initializer", initializerConfig("ones")},
		{"moving_mean_initializer", initializerConfig("zeros")},
		{"moving_variance_initializer", initializerConfig("ones")}}
	if l.cfg.synchronized {
		// Written only when on: Keras 3 reads its absence as false, and
		// the models saved before the option existed stay byte for byte.
		o = append(o, field{"synchronized", true})
	}
	return append(o, offConfig("beta_regularizer", "gamma_regularizer", "beta_constraint", "gamma_constraint")...)
}

// batchNormFromConfig builds a BatchNormalization from its Keras config.
func batchNormFromConfig(c *layerCfg) Layer {
	c.Axis("axis")
	c.add(WithMomentum(c.Number("momentum", 0.99)), WithEpsilon(c.Number("epsilon", 1e-3)),
		WithSynchronized(c.Bool("synchronized", false)))
	c.Require("center", "true")
	c.Require("scale", "true")
	for _, kv := range [][2]string{{"beta_initializer", "zeros"}, {"gamma_initializer", "ones"},
		{"moving_mean_initializer", "zeros"}, {"moving_variance_initializer", "ones"}} {
		key, want := kv[0], kv[1]
		if got := c.initializer(key, want); got != want && c.Err() == nil {
			c.Fail(key, "%s is not supported: Anvil initialises BatchNormalization with Keras's defaults (%s)", got, want)
		}
	}
	c.Take("fused") // a TensorFlow kernel choice; the result is the same
	return BatchNormalization(c.opts...)
}
