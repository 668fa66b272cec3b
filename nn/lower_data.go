package nn

import (
	"github.com/anvil-ml/anvil/tensor"
)

// The sets of resident data buffers a plan has, one per routine: Train
// reads the training set, Eval the evaluation set and Predict its own, so
// neither validation after each epoch nor a prediction made from a Fit
// callback displaces the data Fit is using.
const (
	trainSet = iota
	evalSet
	predictSet
	numSets
)

// dataSpecs holds a spec per set.
type dataSpecs [numSets]dataSpec

// dataSpec says what one set of data buffers holds: the plan is built for
// it, and rebuilt when a call needs more rows or other element types.
type dataSpec struct {
	// rows is how many samples the buffers hold: the whole set when it is
	// resident, two chunks when it is streamed.
	rows int
	// inputs is the element type of each model input's samples.
	inputs []tensor.DType
	// labels says the targets are int32 class labels, not float32 rows.
	labels bool
	// weights says the set has per-sample weights (sample_weight.go).
	weights bool
}

// holds reports whether buffers built for s can take data needing want.
func (s dataSpec) holds(want dataSpec) bool {
	if s.rows < want.rows || s.labels != want.labels || s.weights != want.weights || len(s.inputs) != len(want.inputs) {
		return false
	}
	for i, d := range want.inputs {
		if s.inputs[i] != d {
			return false
		}
	}
	return true
}

// dataBufs are one set's data buffers in a plan.
type dataBufs struct {
	x     []tensor.BufferID // the samples of each input
	y     tensor.BufferID   // labels or target rows; NoBuffer without targets
	w     tensor.BufferID   // per-sample weights; NoBuffer without them
	order tensor.BufferID   // the int32 sample order the steps read
	// out collects the outputs of the Predict steps, a row per row of the
	// order (the predict set only; NoBuffer in the others).
	out  tensor.BufferID
	spec dataSpec
}

// defaultSpec is the spec of a set no call has needed yet: one float32
// sample per input, so the plan is valid and small.
func (m *Model) defaultSpec() dataSpec {
	s := dataSpec{rows: 1}
	for range m.inputs {
		s.inputs = append(s.inputs, tensor.Float32)
	}
	return s
}

// defaultSpecs is defaultSpec for every set.
func (m *Model) defaultSpecs() dataSpecs {
	var s dataSpecs
	for i := range s {
		s[i] = m.defaultSpec()
	}
	return s
}

// lowerData adds the data buffers of one set; withTargets adds the labels
// or target rows.
func (m *Model) lowerData(e *emitter, name string, spec dataSpec, withTargets bool) dataBufs {
	rows := max(spec.rows, 1)
	d := dataBufs{y: tensor.NoBuffer, w: tensor.NoBuffer, out: tensor.NoBuffer, spec: spec}
	for i, in := range m.inputs {
		d.x = append(d.x, e.plan.AddDataBuffer("data:"+name+"/x:"+in.node.layer.name, spec.inputs[i], tensor.Shape{rows * in.shape.Size()}))
	}
	if withTargets {
		if spec.labels {
			d.y = e.plan.AddDataBuffer("data:"+name+"/labels", tensor.Int32, tensor.Shape{rows})
		} else {
			d.y = e.plan.AddDataBuffer("data:"+name+"/y", tensor.Float32, tensor.Shape{rows * m.targetSize()})
		}
		if spec.weights {
			d.w = e.plan.AddDataBuffer("data:"+name+"/sample_weight", tensor.Float32, tensor.Shape{rows})
		}
	}
	d.order = e.plan.AddDataBuffer("data:"+name+"/order", tensor.Int32, tensor.Shape{rows})
	return d
}

// targetSize is the float targets per sample the compiled loss reads.
func (m *Model) targetSize() int {
	out := m.output.shape
	width := out[len(out)-1]
	return m.compiled.loss.kind.TargetSize(out.Size(), width)
}

// emitGatherInputs starts the current routine by gathering each input's
// batch from set d.
func (m *Model) emitGatherInputs(e *emitter, low *lowered, d dataBufs) {
	for i, in := range m.inputs {
		table := tensor.NoBuffer
		if d.spec.inputs[i] == tensor.Uint8 {
			table = low.table
		}
		e.emit(tensor.GatherRows{Src: d.x[i], Order: d.order, Table: table, Dst: low.inputs[i], Features: in.shape.Size()})
	}
}

// emitGatherTargets gathers the batch's targets from set d into target.
func (m *Model) emitGatherTargets(e *emitter, d dataBufs, target tensor.BufferID) {
	if d.y == tensor.NoBuffer {
		return
	}
	if !d.spec.labels {
		e.emit(tensor.GatherRows{Src: d.y, Order: d.order, Table: tensor.NoBuffer, Dst: target, Features: m.targetSize()})
		return
	}
	classes := 0
	if !m.compiled.loss.kind.Sparse() {
		out := m.output.shape
		classes = out[len(out)-1]
	}
	e.emit(tensor.GatherLabels{Labels: d.y, Order: d.order, Dst: target, Classes: classes})
}

// emitCollectOutput ends the Predict routine by copying its batch of
// outputs into the predict set's out buffer, at the rows its gathers read,
// so that Predict reads every step's outputs at once (per streamed chunk).
func (m *Model) emitCollectOutput(e *emitter, low *lowered, output tensor.BufferID) {
	size := m.output.shape.Size()
	d := &low.sets[predictSet]
	d.out = e.plan.AddDataBuffer("data:predict/out", tensor.Float32, tensor.Shape{max(d.spec.rows, 1) * size})
	e.emit(tensor.ScatterRows{Src: output, Dst: d.out, Features: size})
}
