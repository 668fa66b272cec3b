package nn

import (
	"fmt"
	"math"
	"sort"
	"strings"
)

// watched is the quantity EarlyStopping, ModelCheckpoint and
// ReduceLROnPlateau watch, and which way is better.
type watched struct {
	name string
	max  bool // higher is better
}

// newMonitor resolves Keras's mode "auto", "min" or "max" (empty means
// "auto"). Auto means max for accuracies and the confusion metrics
// (Keras's direction "up") and min for losses and errors, as Keras decides
// from the metric; any other name needs an explicit mode.
func newMonitor(who, name, mode string) (watched, error) {
	switch mode {
	case "min":
		return watched{name, false}, nil
	case "max":
		return watched{name, true}, nil
	case "auto", "":
	default:
		return watched{}, fmt.Errorf("%s: mode %q: use auto, min or max", who, mode)
	}
	base := strings.TrimPrefix(name, "val_")
	switch {
	case strings.Contains(base, "acc") || oneOfNames(base, "precision", "recall", "auc", "f1_score", "fbeta_score"):
		return watched{name, true}, nil
	case base == "loss" || oneOfNames(base, "mse", "mae", "mean_squared_error", "mean_absolute_error"):
		return watched{name, false}, nil
	}
	return watched{}, fmt.Errorf("%s: cannot tell whether %q should be maximized or minimized: pass mode \"max\" or \"min\"", who, name)
}

func oneOfNames(s string, names ...string) bool {
	for _, n := range names {
		if s == n {
			return true
		}
	}
	return false
}

// value returns the monitored quantity from an epoch's logs. Keras warns
// and carries on when it is missing; Anvil stops with an error, since the
// callback could never act (usually: validation data was not given).
func (m watched) value(who string, logs Logs) (float64, error) {
	v, ok := logs[m.name]
	if !ok {
		keys := make([]string, 0, len(logs))
		for k := range logs {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		return 0, fmt.Errorf("%s monitors %q, which is not among the logs (%s): give validation data or monitor one of those",
			who, m.name, strings.Join(keys, ", "))
	}
	return v, nil
}

// better reports whether current beats reference by more than delta (≥ 0).
func (m watched) better(current, reference, delta float64) bool {
	if m.max {
		return current-delta > reference
	}
	return current+delta < reference
}

// worst is the starting "best" value: nothing compares better.
func (m watched) worst() float64 {
	if m.max {
		return math.Inf(-1)
	}
	return math.Inf(1)
}
