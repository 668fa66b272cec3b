package nn

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/anvil-ml/anvil/tensor"
)

// Metrics with settings are named with Keras's argument names in
// parentheses, e.g. "auc(num_thresholds=100)", "precision(thresholds=0.7)",
// "f1_score(average=macro, threshold=0.5)", "top_k_categorical_accuracy(k=3)".
// Keras's class names ("AUC", "F1Score", ...) are accepted too. Fit and
// Evaluate report such a metric under Keras's default name for it ("auc",
// "f1_score", ...), so two metrics of one kind cannot be compiled together.

// metricAliases maps Keras's class names to their default metric names.
var metricAliases = map[string]string{
	"Precision": "precision", "Recall": "recall", "AUC": "auc", "F1Score": "f1_score", "FBetaScore": "fbeta_score",
	"TopKCategoricalAccuracy":       "top_k_categorical_accuracy",
	"SparseTopKCategoricalAccuracy": "sparse_top_k_categorical_accuracy",
}

// metricArgs are a metric's settings; each use marks a key, and done
// rejects keys nobody asked for.
type metricArgs struct {
	metric string
	vals   map[string]string
	used   map[string]bool
}

// parseMetricName splits "name(key=value, ...)" into the name and its
// settings.
func parseMetricName(spec string) (string, *metricArgs, error) {
	a := &metricArgs{metric: spec, vals: map[string]string{}, used: map[string]bool{}}
	name, rest, found := strings.Cut(spec, "(")
	name = strings.TrimSpace(name)
	if alias, ok := metricAliases[name]; ok {
		name = alias
	}
	if !found {
		return name, a, nil
	}
	body, ok := strings.CutSuffix(strings.TrimSpace(rest), ")")
	if !ok {
		return "", nil, fmt.Errorf("metric %q: settings must end with \")\", e.g. auc(num_thresholds=100)", spec)
	}
	for _, kv := range splitOutside(body) {
		k, v, ok := strings.Cut(kv, "=")
		k, v = strings.TrimSpace(k), strings.Trim(strings.TrimSpace(v), `"'`)
		if !ok || k == "" {
			return "", nil, fmt.Errorf("metric %q: setting %q is not key=value", spec, strings.TrimSpace(kv))
		}
		a.vals[k] = v
	}
	return name, a, nil
}

// str returns setting key, or def when absent or None.
func (a *metricArgs) str(key, def string) string {
	a.used[key] = true
	v, ok := a.vals[key]
	if !ok || v == "None" || v == "null" {
		return def
	}
	return v
}

// float returns setting key as a number in [lo, hi] (open at lo when
// openLo), or def when absent.
func (a *metricArgs) float(key string, def, lo, hi float64, openLo bool) (float64, error) {
	s := a.str(key, "")
	if s == "" {
		return def, nil
	}
	v, err := strconv.ParseFloat(s, 64)
	if err == nil && v >= lo && v <= hi && !(openLo && v == lo) {
		return v, nil // NaN fails every comparison
	}
	interval := fmt.Sprintf("[%g, %g]", lo, hi)
	if openLo {
		interval = fmt.Sprintf("(%g, %g]", lo, hi)
	}
	return 0, fmt.Errorf("metric %q: %s=%s must be a number in %s", a.metric, key, s, interval)
}

// int returns setting key as a whole number of at least lo, or def.
func (a *metricArgs) int(key string, def, lo int) (int, error) {
	s := a.str(key, "")
	if s == "" {
		return def, nil
	}
	v, err := strconv.Atoi(s)
	if err != nil || v < lo {
		return 0, fmt.Errorf("metric %q: %s=%s must be a whole number of at least %d", a.metric, key, s, lo)
	}
	return v, nil
}

// done rejects settings no metric reads.
func (a *metricArgs) done(known string) error {
	for k := range a.vals {
		if !a.used[k] {
			if known == "" {
				return fmt.Errorf("metric %q takes no settings, got %s", a.metric, k)
			}
			return fmt.Errorf("metric %q: unknown setting %s (known: %s)", a.metric, k, known)
		}
	}
	return nil
}

// configuredMetric resolves the metrics that take settings; ok is false
// for other names.
func configuredMetric(name string, a *metricArgs, outWidth int) (ms metricSpec, ok bool, err error) {
	ms = metricSpec{name: name, spec: a.metric}
	var known string
	switch name {
	case "top_k_categorical_accuracy", "sparse_top_k_categorical_accuracy":
		known = "k"
		ms.kind = tensor.TopKCategoricalAccuracy
		if name == "sparse_top_k_categorical_accuracy" {
			ms.kind = tensor.SparseTopKCategoricalAccuracy
		}
		ms.k, err = a.int("k", 5, 1)
	case "precision", "recall":
		known = "thresholds, class_id, top_k"
		ms.counts, err = thresholdConfig(name, a, outWidth)
	case "auc":
		known = "num_thresholds, curve, summation_method"
		var n int
		n, err = a.int("num_thresholds", 200, 2)
		curve, sum := strings.ToUpper(a.str("curve", "ROC")), strings.ToLower(a.str("summation_method", "interpolation"))
		switch {
		case err != nil:
		case curve != "ROC" && curve != "PR":
			err = fmt.Errorf("metric %q: curve=%s: use ROC or PR", a.metric, curve)
		case sum != "interpolation" && sum != "minoring" && sum != "majoring":
			err = fmt.Errorf("metric %q: summation_method=%s: use interpolation, minoring or majoring", a.metric, sum)
		}
		ms.counts = aucSpec(n, curve, sum)
	case "f1_score", "fbeta_score":
		known = "average, threshold"
		if name == "fbeta_score" {
			known = "average, beta, threshold"
		}
		ms.counts, err = fbetaConfig(a, outWidth, name == "fbeta_score")
	default:
		return metricSpec{}, false, nil
	}
	if err == nil {
		err = a.done(known)
	}
	return ms, true, err
}

// kerasNegInf is Keras's NEG_INF, the threshold Precision and Recall use
// with top_k when none is given.
const kerasNegInf = -1e10

// thresholdConfig reads Precision's and Recall's settings: one threshold
// (Keras's list of several gives a list of results), class_id and top_k.
func thresholdConfig(name string, a *metricArgs, width int) (*countSpec, error) {
	if list, ok := a.vals["thresholds"]; ok && strings.HasPrefix(list, "[") {
		one := strings.TrimSpace(strings.Trim(list, "[]"))
		if len(splitOutside(one)) != 1 {
			return nil, fmt.Errorf("metric %q: thresholds=%s: Keras reports one result per threshold, and Anvil reports one number per metric: give one threshold", a.metric, list)
		}
		a.vals["thresholds"] = one
	}
	topK, err := a.int("top_k", 0, 1)
	if err != nil {
		return nil, err
	}
	def := 0.5
	if topK > 0 {
		def = kerasNegInf // Keras's default with top_k: every kept prediction is positive
	}
	th, err := a.float("thresholds", def, 0, 1, false)
	if err != nil {
		return nil, err
	}
	classID, err := a.int("class_id", -1, 0)
	if err != nil {
		return nil, err
	}
	if classID >= width {
		return nil, fmt.Errorf("metric %q: class_id=%d, but the output has %d classes", a.metric, classID, width)
	}
	if name == "recall" {
		return recallSpec(float32(th), classID, topK, width), nil
	}
	return precisionSpec(float32(th), classID, topK, width), nil
}

// fbetaConfig reads F1Score's and FBetaScore's settings (beta only
// withBeta, for FBetaScore: done rejects it for F1Score). Keras's default
// average=None gives one score per class; Anvil reports one number per
// metric, so it asks for an average instead.
func fbetaConfig(a *metricArgs, width int, withBeta bool) (*countSpec, error) {
	avg := a.str("average", "")
	switch avg {
	case "micro", "macro", "weighted":
	case "":
		return nil, fmt.Errorf("metric %q: Keras's F1Score and FBetaScore without average give one score per class, and Anvil reports one number per metric: add average=macro, micro or weighted", a.metric)
	default:
		return nil, fmt.Errorf("metric %q: average=%s: use micro, macro or weighted", a.metric, avg)
	}
	beta := 1.0
	if withBeta {
		var err error
		if beta, err = a.float("beta", 1, 0, math.MaxFloat64, true); err != nil {
			return nil, err
		}
	}
	th, err := a.float("threshold", math.NaN(), 0, 1, true)
	if err != nil {
		return nil, err
	}
	return fbetaSpec(avg, beta, float32(th), width), nil
}

// SplitMetricNames splits a comma-separated list of metric names, keeping
// the commas inside a name's settings: "auc,f1_score(average=macro,
// threshold=0.5)" is two names. Empty names are dropped.
func SplitMetricNames(list string) []string { return splitOutside(list) }

// splitOutside splits s at the commas outside parentheses and brackets,
// trimming spaces and dropping empty parts.
func splitOutside(s string) []string {
	var out []string
	depth, start := 0, 0
	s += ","
	for i, r := range s {
		switch {
		case r == '(' || r == '[':
			depth++
		case r == ')' || r == ']':
			depth = max(depth-1, 0)
		case r == ',' && depth == 0:
			if part := strings.TrimSpace(s[start:i]); part != "" {
				out = append(out, part)
			}
			start = i + 1
		}
	}
	return out
}
