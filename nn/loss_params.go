package nn

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/anvil-ml/anvil/tensor"
)

// A loss name may carry Keras's loss arguments in parentheses, as
// "categorical_crossentropy(label_smoothing=0.1)" or "huber(delta=2)", so
// that the name alone (which a checkpoint records) says how the model was
// compiled. LabelSmoothing and Huber write such names.

// LabelSmoothing names a cross-entropy loss with Keras's label_smoothing:
// m.Compile(opt, nn.LabelSmoothing("categorical_crossentropy", 0.1)).
// categorical_crossentropy reads each target y as y·(1−ls) + ls/classes,
// binary_crossentropy as y·(1−ls) + 0.5·ls; the metrics see the targets as
// given. It composes with FromLogits. Keras's sparse losses take no label
// smoothing, and Compile reports one given to them.
func LabelSmoothing(loss string, ls float64) string {
	return withLossParam(loss, "label_smoothing", ls)
}

// Huber names Keras's Huber loss with the given delta (Keras's default,
// and plain "huber", is 1.0): 0.5·e² where |e| ≤ delta, else
// delta·(|e| − 0.5·delta), averaged over the last axis.
func Huber(delta float64) string { return withLossParam("huber", "delta", delta) }

// withLossParam returns loss with key set to v, replacing an earlier value.
func withLossParam(loss, key string, v float64) string {
	base, params, err := splitLossName(loss)
	if err != nil {
		return loss + "(" + key + "=" + formatParam(v) + ")" // Compile reports the malformed name
	}
	var parts []string
	for _, p := range params {
		if p.key != key {
			parts = append(parts, p.key+"="+formatParam(p.value))
		}
	}
	parts = append(parts, key+"="+formatParam(v))
	return base + "(" + strings.Join(parts, ", ") + ")"
}

// formatParam writes v as the shortest decimal that reads back as the same
// float32, the precision the loss op keeps.
func formatParam(v float64) string { return strconv.FormatFloat(float64(float32(v)), 'g', -1, 32) }

// lossParam is one key=value argument of a loss name.
type lossParam struct {
	key   string
	value float64
}

// splitLossName splits "base(k=v, ...)" into its base and arguments.
func splitLossName(name string) (string, []lossParam, error) {
	i := strings.IndexByte(name, '(')
	if i < 0 {
		return name, nil, nil
	}
	if !strings.HasSuffix(name, ")") {
		return "", nil, fmt.Errorf("loss %q: arguments must end with ')', as in huber(delta=2)", name)
	}
	var params []lossParam
	seen := map[string]bool{}
	for _, arg := range strings.Split(name[i+1:len(name)-1], ",") {
		k, v, ok := strings.Cut(arg, "=")
		k = strings.TrimSpace(k)
		if !ok || k == "" {
			return "", nil, fmt.Errorf("loss %q: argument %q is not key=value", name, strings.TrimSpace(arg))
		}
		f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
		if err != nil {
			return "", nil, fmt.Errorf("loss %q: argument %s: %q is not a number", name, k, strings.TrimSpace(v))
		}
		if seen[k] {
			return "", nil, fmt.Errorf("loss %q: argument %s is given twice", name, k)
		}
		seen[k] = true
		params = append(params, lossParam{k, f})
	}
	return name[:i], params, nil
}

// applyParams sets the arguments of a loss name on l.
func (l *lossSpec) applyParams(params []lossParam) error {
	for _, p := range params {
		switch {
		case p.key == "label_smoothing" && (l.kind == tensor.CategoricalCrossentropy || l.kind == tensor.BinaryCrossentropy):
			if !(p.value >= 0 && p.value <= 1) {
				return fmt.Errorf("loss %q: label_smoothing %v must be in [0, 1]", l.name, p.value)
			}
			l.smoothing = float32(p.value)
		case p.key == "delta" && l.kind == tensor.Huber:
			if !(p.value > 0 && p.value <= math.MaxFloat32) {
				return fmt.Errorf("loss %q: delta %v must be positive and finite", l.name, p.value)
			}
			l.delta = float32(p.value)
		default:
			return fmt.Errorf("loss %q takes no argument %s (label_smoothing: categorical_crossentropy and binary_crossentropy; delta: huber)",
				l.name, p.key)
		}
	}
	return nil
}
