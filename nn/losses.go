package nn

import (
	"fmt"
	"strings"

	"github.com/anvil-ml/anvil/tensor"
)

// lossSpec is a compiled loss: its Keras name and what the planner emits.
type lossSpec struct {
	name       string
	kind       tensor.LossKind // the unfused kind
	fromLogits bool            // the model outputs logits (Keras's from_logits=True)
	smoothing  float32         // Keras's label_smoothing (loss_params.go)
	delta      float32         // Huber's delta
}

// FromLogits names the variant of a cross-entropy loss that reads logits,
// as Keras's CategoricalCrossentropy(from_logits=True):
// m.Compile(opt, nn.FromLogits("categorical_crossentropy")). Metrics then see
// the softmax (sigmoid) of the output.
func FromLogits(loss string) string {
	if i := strings.IndexByte(loss, '('); i >= 0 { // before the arguments (see LabelSmoothing)
		return loss[:i] + fromLogitsSuffix + loss[i:]
	}
	return loss + fromLogitsSuffix
}

const fromLogitsSuffix = "_from_logits"

var lossNames = map[string]tensor.LossKind{
	"mse": tensor.MeanSquaredError, "mean_squared_error": tensor.MeanSquaredError,
	"mae": tensor.MeanAbsoluteError, "mean_absolute_error": tensor.MeanAbsoluteError,
	"categorical_crossentropy":        tensor.CategoricalCrossentropy,
	"sparse_categorical_crossentropy": tensor.SparseCategoricalCrossentropy,
	"binary_crossentropy":             tensor.BinaryCrossentropy,
	"huber":                           tensor.Huber,
	"log_cosh":                        tensor.LogCosh, "logcosh": tensor.LogCosh, // tf.keras's alias
}

func lossByName(name string) (lossSpec, error) {
	base, params, err := splitLossName(name)
	if err != nil {
		return lossSpec{}, err
	}
	base, fromLogits := strings.CutSuffix(base, fromLogitsSuffix)
	k, ok := lossNames[base]
	if fromLogits && ok {
		if _, fusable := (lossSpec{kind: k}).logitsKind(); !fusable {
			return lossSpec{}, fmt.Errorf("loss %q: only the cross-entropy losses read logits", name)
		}
	}
	if !ok {
		return lossSpec{}, fmt.Errorf("unknown loss %q (known: mse, mae, categorical_crossentropy, sparse_categorical_crossentropy, binary_crossentropy, huber, log_cosh)", name)
	}
	l := lossSpec{name: name, kind: k, fromLogits: fromLogits}
	if k == tensor.Huber {
		l.delta = 1 // Keras's default
	}
	return l, l.applyParams(params)
}

// logitsKind is the fused kind that reads logits for this loss.
func (l lossSpec) logitsKind() (tensor.LossKind, bool) {
	switch l.kind {
	case tensor.CategoricalCrossentropy:
		return tensor.SoftmaxCrossentropy, true
	case tensor.SparseCategoricalCrossentropy:
		return tensor.SparseSoftmaxCrossentropy, true
	case tensor.BinaryCrossentropy:
		return tensor.SigmoidBinaryCrossentropy, true
	}
	return l.kind, false
}

// fused returns the kind to emit when the output layer ends in act: as
// Keras does, a softmax (sigmoid) output with a cross-entropy loss is
// computed from the logits, which is exact where the clipped form is not.
func (l lossSpec) fused(act tensor.ActFn) (tensor.LossKind, bool) {
	k, ok := l.logitsKind()
	if !ok || l.fromLogits {
		return l.kind, false
	}
	want := tensor.Softmax
	if k == tensor.SigmoidBinaryCrossentropy {
		want = tensor.Sigmoid
	}
	return k, act == want
}

// metricSpec is a compiled metric.
type metricSpec struct {
	name   string // shown in progress and history: as the user wrote it, or Keras's default name for one with settings
	spec   string // as the user wrote it; what a checkpoint saves
	kind   tensor.MetricKind
	k      int        // the top-k accuracies' k
	counts *countSpec // a confusion metric's counting (metrics_confusion.go); nil for a mean
}

// metricByName resolves a metric name. "accuracy" (or "acc") becomes
// binary, sparse categorical or categorical accuracy from the loss and the
// output width, as Keras decides. Names with settings are described in
// metric_config.go.
func metricByName(spec string, loss lossSpec, outWidth int) (metricSpec, error) {
	name, args, err := parseMetricName(spec)
	if err != nil {
		return metricSpec{}, err
	}
	if ms, ok, err := configuredMetric(name, args, outWidth); ok {
		return ms, err
	}
	if err := args.done(""); err != nil {
		return metricSpec{}, err
	}
	kind, err := meanMetricKind(name, loss, outWidth)
	return metricSpec{name: spec, spec: spec, kind: kind}, err
}

// meanMetricKind resolves the metrics that are means over samples.
func meanMetricKind(name string, loss lossSpec, outWidth int) (tensor.MetricKind, error) {
	switch name {
	case "accuracy", "acc":
		switch {
		case loss.kind.Sparse():
			return tensor.SparseCategoricalAccuracy, nil
		case outWidth == 1 || loss.kind == tensor.BinaryCrossentropy:
			return tensor.BinaryAccuracy, nil
		}
		return tensor.CategoricalAccuracy, nil
	case "categorical_accuracy":
		return tensor.CategoricalAccuracy, nil
	case "sparse_categorical_accuracy":
		return tensor.SparseCategoricalAccuracy, nil
	case "binary_accuracy":
		return tensor.BinaryAccuracy, nil
	case "mae", "mean_absolute_error":
		return tensor.MeanAbsoluteMetric, nil
	case "mse", "mean_squared_error":
		return tensor.MeanSquaredMetric, nil
	}
	return 0, fmt.Errorf("unknown metric %q (known: accuracy, categorical_accuracy, sparse_categorical_accuracy, binary_accuracy, mae, mse, precision, recall, auc, f1_score, fbeta_score, top_k_categorical_accuracy, sparse_top_k_categorical_accuracy)", name)
}

// sparseTarget reports whether a metric reads class indices.
func (m metricSpec) sparseTarget() bool {
	return m.counts == nil && (m.kind == tensor.SparseCategoricalAccuracy || m.kind == tensor.SparseTopKCategoricalAccuracy)
}
