package nn

import (
	"fmt"
	"math"

	"github.com/anvil-ml/anvil/tensor"
)

// Per-sample loss weights: Data.SampleWeight and FitOptions.ClassWeight
// (Keras's sample_weight and class_weight). They travel with the data: a
// set with weights has one more data buffer, gathered by the steps'
// sample order like the targets, so the weights follow every shuffle and
// streamed chunk. A set without weights has neither the buffer nor the
// gather, and its plan is the one it always was.

// checkSampleWeight validates Data.SampleWeight for n samples; nil stays
// nil.
func checkSampleWeight(w []float32, n int, what string) ([]float32, error) {
	if w == nil {
		return nil, nil
	}
	if len(w) != n {
		return nil, fmt.Errorf("%s: %d samples but %d sample weights; give one weight per sample", what, n, len(w))
	}
	for i, v := range w {
		if !(v >= 0 && v <= math.MaxFloat32) {
			return nil, fmt.Errorf("%s: sample weight %v of sample %d must be finite and not negative", what, v, i)
		}
	}
	return w, nil
}

// weighLoss returns loss as the op to emit: a WeightedLoss reading the
// batch's weights, gathered from set d, when d has weights; loss itself
// otherwise.
func weighLoss(e *emitter, d dataBufs, loss tensor.Loss) tensor.Op {
	if d.w == tensor.NoBuffer {
		return loss
	}
	w := e.buffer("sample_weight", tensor.InputBuffer, true, tensor.Shape{1})
	e.emit(tensor.GatherRows{Src: d.w, Order: d.order, Table: tensor.NoBuffer, Dst: w, Features: 1})
	return tensor.WeightedLoss{Loss: loss, Weight: w}
}

// applyClassWeight multiplies d's weights (all 1 when it has none) by the
// weight of each sample's class, as Keras turns class_weight into sample
// weights: the class is the label, or the argmax of a target row, or the
// rounded target of a one-output model. Classes the map leaves out weigh 1,
// as in Keras. An empty map changes nothing.
func (m *Model) applyClassWeight(d *checkedData, cw map[int]float32) error {
	if len(cw) == 0 {
		return nil
	}
	out := m.output.shape
	width := out[len(out)-1]
	if out.Size() != width {
		return fmt.Errorf("fit %q: ClassWeight needs a model with one class vector per sample; its output is %v",
			m.name, out.BatchString())
	}
	classes := max(width, 2) // a one-output model is a binary classifier
	for c, v := range cw {
		if c < 0 || c >= classes {
			return fmt.Errorf("fit %q: ClassWeight names class %d, but the model's classes are 0..%d", m.name, c, classes-1)
		}
		if !(v >= 0 && v <= math.MaxFloat32) {
			return fmt.Errorf("fit %q: ClassWeight of class %d is %v; it must be finite and not negative", m.name, c, v)
		}
	}
	w := make([]float32, d.n)
	for i := range w {
		f, ok := cw[d.targets.class(i)]
		if !ok {
			f = 1
		}
		if d.weights != nil {
			f *= d.weights[i]
		}
		w[i] = f
	}
	d.weights = w
	return nil
}

// class is sample i's class for class weights: its label, the argmax of
// its target row, or its rounded target when the row has one value.
func (t *targets) class(i int) int {
	if t.labels != nil {
		return t.labels[i]
	}
	row := t.floats[i*t.width : (i+1)*t.width]
	if t.width == 1 {
		return int(math.RoundToEven(float64(row[0]))) // numpy's round, as Keras
	}
	best := 0
	for j, v := range row {
		if v > row[best] {
			best = j
		}
	}
	return best
}
