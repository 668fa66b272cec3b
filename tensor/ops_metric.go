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
	// TopKCategoricalAccuracy: argmax(y) is among the K largest of p per
	// group of Width. Ties at the boundary count as in the top K, as
	// Keras's in_top_k: a hit when fewer than K values exceed p[argmax(y)].
	TopKCategoricalAccuracy
	// SparseTopKCategoricalAccuracy: as TopKCategoricalAccuracy with the
	// class index y.
	SparseTopKCategoricalAccuracy
)

// Metric adds the sum over valid samples of the per-sample metric to Sum[0].
// Ties in argmax go to the first maximal element, as tf.argmax does.
type Metric struct {
	Kind         MetricKind
	Pred, Target BufferID
	Sum          BufferID
	Size, Width  int
	K            int // the top-k kinds' k
}

// TargetSize is the number of target values per sample.
func (o Metric) TargetSize() int {
	if o.Kind == SparseCategoricalAccuracy || o.Kind == SparseTopKCategoricalAccuracy {
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
	if o.Kind < CategoricalAccuracy || o.Kind > SparseTopKCategoricalAccuracy {
		return fmt.Errorf("unknown metric kind %d", o.Kind)
	}
	if o.Kind.TopK() && o.K <= 0 {
		return fmt.Errorf("top-k metric needs K > 0, got %d", o.K)
	}
	return firstErr(checkGroups("metric", o.Size, o.Width),
		required(operand{"Pred", o.Pred}, operand{"Target", o.Target}, operand{"Sum", o.Sum}))
}

// TopK reports whether the kind is a top-k accuracy.
func (k MetricKind) TopK() bool {
	return k == TopKCategoricalAccuracy || k == SparseTopKCategoricalAccuracy
}

// Grouped reports whether the kind scores groups of Width values (one
// class distribution each) rather than single elements.
func (k MetricKind) Grouped() bool {
	return k == CategoricalAccuracy || k == SparseCategoricalAccuracy || k.TopK()
}

// InTopK reports whether p[class] is among the k largest of p, counting
// ties at the boundary as in, as Keras's in_top_k: fewer than k values
// exceed it. A class outside p is never in.
func InTopK(p []float32, class, k int) bool {
	if class < 0 || class >= len(p) {
		return false
	}
	above := 0
	for _, v := range p {
		if v > p[class] {
			above++
		}
	}
	return above < k
}
