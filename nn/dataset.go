package nn

import (
	"fmt"

	"github.com/anvil-ml/anvil/tensor"
)

// Data is a set of samples for FitData, EvaluateData and PredictData: the
// features of each model input and the targets. It is how data reaches the
// backend compactly: image bytes stay bytes (a quarter of float32's memory)
// and are scaled on the backend, and class labels stay integers and are
// one-hot encoded on the backend where the loss needs it. Fit, Evaluate and
// Predict with float tensors are Data with X and Y.
type Data struct {
	// X holds float32 features, one tensor per model input; or
	X []*tensor.Tensor
	// Bytes holds byte features (images as loaded, each byte standing for
	// float32(b)/255), one per model input. Give X or Bytes, not both.
	Bytes []*tensor.Bytes
	// Y holds float32 targets as the loss takes them (one-hot rows for
	// categorical_crossentropy, class indices for the sparse losses,
	// values for regression); or
	Y *tensor.Tensor
	// Labels holds one class index per sample, for a classifier with one
	// class vector per sample and any classification loss. Give Y or
	// Labels, not both; neither for PredictData.
	Labels []int
	// SampleWeight, when set, holds one weight per sample (Keras's
	// sample_weight): each sample's loss is multiplied by its weight, and
	// the loss is still averaged over the samples, not over the weights'
	// sum (Keras's sum_over_batch_size). Weights must be finite and not
	// negative; 0 leaves a sample out of the loss. The metrics stay
	// unweighted, as Keras's compiled metrics without weighted_metrics.
	// FitData and EvaluateData read it (validation data too);
	// PredictData ignores it.
	SampleWeight []float32
}

// XY is Data with float features and targets: one input.
func XY(x, y *tensor.Tensor) Data { return Data{X: []*tensor.Tensor{x}, Y: y} }

// source is one model input's samples as the backend receives them.
type source struct {
	floats   []float32
	bytes    []uint8
	features int
}

func (s source) dtype() tensor.DType {
	if s.bytes != nil {
		return tensor.Uint8
	}
	return tensor.Float32
}

// rowBytes is the bytes one sample takes on the backend.
func (s source) rowBytes() int { return s.features * s.dtype().Size() }

// targets is a set's targets as the backend receives them: float32 rows,
// or int32 labels that the plan's GatherLabels turns into the loss's
// targets.
type targets struct {
	floats []float32 // float rows of width values, or
	labels []int     // class indices
	width  int       // float values per sample (1 for labels)
}

// rowBytes is the bytes one sample's target takes on the backend.
func (t targets) rowBytes() int { return 4 * t.width }

// checkedData is a validated Data: what the resident path uploads.
type checkedData struct {
	n       int
	inputs  []source
	targets *targets  // nil when the set has no targets
	weights []float32 // per-sample loss weights; nil for none
}

// checkData validates d against the model: features for every input, the
// same sample count everywhere, finite values, and targets the compiled
// loss can take (needTargets for Fit and Evaluate).
func (m *Model) checkData(d Data, what string, needTargets bool) (*checkedData, error) {
	c := &checkedData{}
	var err error
	switch {
	case len(d.X) > 0 && len(d.Bytes) > 0:
		return nil, fmt.Errorf("%s: give the features as X or as Bytes, not both", what)
	case len(d.Bytes) > 0:
		c.n, err = m.checkBytes(d.Bytes, what)
		for _, b := range d.Bytes {
			c.inputs = append(c.inputs, source{bytes: b.Data, features: b.RowSize()})
		}
	default:
		c.n, err = m.checkX(d.X, what)
		for _, x := range d.X {
			c.inputs = append(c.inputs, source{floats: x.Data, features: x.RowSize()})
		}
	}
	if err != nil {
		return nil, err
	}
	if !needTargets {
		return c, nil
	}
	if c.targets, err = m.checkTargets(d, c.n, what); err != nil {
		return nil, err
	}
	c.weights, err = checkSampleWeight(d.SampleWeight, c.n, what)
	return c, err
}

// checkBytes is checkX for byte features.
func (m *Model) checkBytes(bs []*tensor.Bytes, what string) (int, error) {
	if len(bs) != len(m.inputs) {
		return 0, fmt.Errorf("%s: the model has %d inputs, got %d arrays", what, len(m.inputs), len(bs))
	}
	n := -1
	for i, b := range bs {
		want := m.inputs[i].shape
		if b == nil || len(b.Shape) == 0 {
			return 0, fmt.Errorf("%s: input %d is empty", what, i)
		}
		if b.RowSize() != want.Size() || len(b.Data) != b.Shape.Size() {
			return 0, fmt.Errorf("%s: input %d has shape %v, the model expects %v", what, i, b.Shape, want.BatchString())
		}
		if n >= 0 && b.Rows() != n {
			return 0, fmt.Errorf("%s: input %d has %d samples, input 0 has %d", what, i, b.Rows(), n)
		}
		n = b.Rows()
	}
	if n == 0 {
		return 0, fmt.Errorf("%s: no samples", what)
	}
	return n, nil
}

// checkTargets validates Y or Labels for n samples.
func (m *Model) checkTargets(d Data, n int, what string) (*targets, error) {
	if m.compiled == nil {
		return nil, fmt.Errorf("%s: call Compile first", what)
	}
	switch {
	case d.Y != nil && d.Labels != nil:
		return nil, fmt.Errorf("%s: give the targets as Y or as Labels, not both", what)
	case d.Labels == nil:
		if err := m.checkY(d.Y, n, what); err != nil {
			return nil, err
		}
		return &targets{floats: d.Y.Data, width: d.Y.RowSize()}, nil
	}
	return m.checkLabels(d.Labels, n, what)
}

// checkLabels validates integer class labels (the plan one-hot encodes
// them for a categorical loss, see emitGatherTargets).
func (m *Model) checkLabels(labels []int, n int, what string) (*targets, error) {
	out := m.output.shape
	width := out[len(out)-1]
	if len(labels) != n {
		return nil, fmt.Errorf("%s: %d samples but %d labels; they must match", what, n, len(labels))
	}
	if out.Size() != width {
		return nil, fmt.Errorf("%s: class labels need a model with one class vector per sample; its output is %v: give Y instead",
			what, out.BatchString())
	}
	for i, l := range labels {
		if l < 0 || l >= width {
			return nil, fmt.Errorf("%s: label %d of sample %d is not a class index in 0..%d", what, l, i, width-1)
		}
	}
	return &targets{labels: labels, width: 1}, nil
}
