package nn

import (
	"fmt"

	"github.com/anvil-ml/anvil/tensor"
)

// rescalingLayer is Keras's Rescaling: y = x·scale + offset, in every
// routine, with a gradient (scale·dy).
type rescalingLayer struct {
	*layerBase
	scale float32
}

// Rescaling multiplies its input by scale and adds WithOffset (default 0),
// e.g. Rescaling(1.0/255) maps bytes to [0, 1].
func Rescaling(scale float32, opts ...Option) Layer {
	l := &rescalingLayer{scale: scale}
	l.layerBase = newBase("Rescaling", []string{"offset"}, opts, l)
	return l
}

func (l *rescalingLayer) build(in []tensor.Shape) (tensor.Shape, error) {
	x, err := oneInput(in)
	return x.Clone(), err
}

func (l *rescalingLayer) forward(e *emitter, in []tensor.BufferID) tensor.BufferID {
	y := e.act("y", l.outShape)
	e.emit(tensor.Rescale{X: in[0], Y: y, Size: l.outShape.Size(), Scale: l.scale, Offset: l.cfg.aug.offset})
	return y
}

func (l *rescalingLayer) backward(e *emitter, in []tensor.BufferID, out, dOut tensor.BufferID, need []bool) []tensor.BufferID {
	if !need[0] {
		return []tensor.BufferID{tensor.NoBuffer}
	}
	dx := e.grad("dx", l.inShapes[0])
	e.emit(tensor.Rescale{X: dOut, Y: dx, Size: l.outShape.Size(), Scale: l.scale})
	return []tensor.BufferID{dx}
}

// NormalizationLayer is Keras's Normalization over the last axis:
// y = (x − mean)/max(√variance, 1e-7) per channel. Its mean and variance
// are non-trainable weights ("mean", "variance"), saved and loaded with the
// model: given with WithMeanVariance, or computed from data with Adapt.
type NormalizationLayer struct {
	*layerBase
	mean, variance *Variable
	// pending holds Adapt's result until the layer is built.
	pending [2][]float32
}

// Normalization normalises each channel (the last axis) with a fixed mean
// and variance; call Adapt before the model first runs, or pass
// WithMeanVariance.
func Normalization(opts ...Option) *NormalizationLayer {
	l := &NormalizationLayer{}
	l.layerBase = newBase("Normalization", []string{"mean"}, opts, l)
	return l
}

func (l *NormalizationLayer) build(in []tensor.Shape) (tensor.Shape, error) {
	x, err := oneInput(in)
	if err != nil {
		return nil, err
	}
	c := x[len(x)-1]
	mean, variance := l.cfg.aug.mean, l.cfg.aug.variance
	if l.pending[0] != nil {
		mean, variance = l.pending[0], l.pending[1]
	}
	if mean != nil && len(mean) != 1 && len(mean) != c {
		return nil, fmt.Errorf("has %d means and variances for %d channels: give one, or one per channel", len(mean), c)
	}
	l.mean = l.addVar("mean", tensor.Shape{c}, false, constant(0))
	l.variance = l.addVar("variance", tensor.Shape{c}, false, constant(1))
	if mean != nil && l.allocErr == nil {
		for i := range c {
			l.mean.data[i], l.variance.data[i] = mean[i%len(mean)], variance[i%len(variance)]
		}
	}
	return x.Clone(), nil
}

func (l *NormalizationLayer) forward(e *emitter, in []tensor.BufferID) tensor.BufferID {
	y := e.act("y", l.outShape)
	c := l.mean.Shape[0]
	e.emit(tensor.Normalize{X: in[0], Y: y, Mean: e.param(l.mean), Variance: e.param(l.variance),
		Size: l.outShape.Size(), Width: c, Inner: 1})
	return y
}

func (l *NormalizationLayer) backward(e *emitter, in []tensor.BufferID, out, dOut tensor.BufferID, need []bool) []tensor.BufferID {
	if !need[0] {
		return []tensor.BufferID{tensor.NoBuffer}
	}
	dx := e.grad("dx", l.inShapes[0])
	e.emit(tensor.NormalizeBackward{DY: dOut, DX: dx, Variance: e.param(l.variance),
		Size: l.outShape.Size(), Width: l.mean.Shape[0], Inner: 1})
	return []tensor.BufferID{dx}
}

// Adapt sets the mean and (biased) variance of each channel, the last
// axis of data, over every other axis, as Keras's adapt does. Call it
// before the model first runs (Fit, Evaluate, Predict): a running model
// keeps the values it started with until Model.SetWeights.
func (l *NormalizationLayer) Adapt(data *tensor.Tensor) error {
	if data == nil || len(data.Shape) < 1 || data.Shape.Size() == 0 || len(data.Data) != data.Shape.Size() {
		return fmt.Errorf("normalization %q: adapt needs a non-empty tensor whose data matches its shape", l.name)
	}
	c := data.Shape[len(data.Shape)-1]
	if l.built && c != l.mean.Shape[0] {
		return fmt.Errorf("normalization %q: adapt data has %d channels, the layer %d", l.name, c, l.mean.Shape[0])
	}
	mean, variance := channelMoments(data.Data, c)
	if !l.built {
		l.pending = [2][]float32{mean, variance}
		return nil
	}
	copy(l.mean.data, mean)
	copy(l.variance.data, variance)
	return nil
}

// channelMoments returns each channel's mean and biased variance over
// interleaved values (channel i%c), in float64 rounded once.
func channelMoments(x []float32, c int) (mean, variance []float32) {
	sum, sq := make([]float64, c), make([]float64, c)
	for i, v := range x {
		sum[i%c] += float64(v)
	}
	n := float64(len(x) / c)
	for i, v := range x {
		d := float64(v) - sum[i%c]/n
		sq[i%c] += d * d
	}
	mean, variance = make([]float32, c), make([]float32, c)
	for i := range c {
		mean[i], variance[i] = float32(sum[i]/n), float32(sq[i]/n)
	}
	return mean, variance
}
