package tensor

import "fmt"

// MetricKind selects a metric.
type MetricKind int

// The metrics, each a per-sample value averaged over the sample's
// positions, as Keras computes them.
const (
	// CategoricalAccuracy: argmax(p) == argmax(y) per group of Width.
	CategoricalAccuracy MetricKind = iota
	// SparseCategoricalAccuracy: argmax(p) == y per group of Width.
	SparseCategoricalAccuracy
	// BinaryAccuracy: (p > 0.5) == y per element.
	BinaryAccuracy
	// MeanAbsoluteMetric: |p − y| per element.
	MeanAbsoluteMetric
	// MeanSquaredMetric: (p − y)² per element.
	MeanSquaredMetric
)

// Metric adds the sum over valid samples of the per-sample metric to Sum[0].
// Ties in argmax go to the first maximal element, as tf.argmax does.
type Metric struct {
	Kind         MetricKind
	Pred, Target BufferID
	Sum          BufferID
	Size, Width  int
}

// TargetSize is the number of target values per sample.
func (o Metric) TargetSize() int {
	if o.Kind == SparseCategoricalAccuracy {
		return o.Size / o.Width
	}
	return o.Size
}

// Accesses implements Op.
func (o Metric) Accesses() []Access {
	return []Access{rd(o.Pred, o.Size, true), rd(o.Target, o.TargetSize(), true),
		rd(o.Sum, 1, false), wr(o.Sum, 1, false)}
}

// Check implements Checker. Every kind needs Width to divide Size, as
// TargetSize and the accuracies group by it.
func (o Metric) Check(*Plan) error {
	if err := positive("Size", o.Size); err != nil {
		return err
	}
	if o.Kind < CategoricalAccuracy || o.Kind > MeanSquaredMetric {
		return fmt.Errorf("unknown metric kind %d", o.Kind)
	}
	return firstErr(checkGroups("metric", o.Size, o.Width),
		required(operand{"Pred", o.Pred}, operand{"Target", o.Target}, operand{"Sum", o.Sum}))
}
