package nn

import (
	"math"
	"testing"
)

// TestInterpolatedPRAUCMatchesKeras checks the PR-curve interpolation on
// counts with false positives at every interior threshold against a
// transcription of Keras's interpolate_pr_auc (metrics_utils.py), written
// here array by array as Keras writes it.
func TestInterpolatedPRAUCMatchesKeras(t *testing.T) {
	tp := []float64{10, 8, 5, 2, 0}
	fp := []float64{10, 6, 3, 1, 0}
	fn := []float64{0, 2, 5, 8, 10}
	noNaN := func(a, b float64) float64 {
		if b == 0 {
			return 0
		}
		return a / b
	}
	want := 0.0
	for i := 0; i+1 < len(tp); i++ {
		dtp := tp[i] - tp[i+1]
		p0, p1 := tp[i]+fp[i], tp[i+1]+fp[i+1]
		slope := noNaN(dtp, math.Max(p0-p1, 0))
		intercept := tp[i+1] - slope*p1
		ratio := 1.0
		if p0 > 0 && p1 > 0 {
			ratio = noNaN(p0, math.Max(p1, 0))
		}
		want += noNaN(slope*(dtp+intercept*math.Log(ratio)), math.Max(tp[i+1]+fn[i+1], 0))
	}
	got := interpolatedPRAUC(confusionCounts{tp: tp, fp: fp, fn: fn, tn: make([]float64, len(tp))})
	if !(math.Abs(got-want) <= 1e-12) { // NaN fails too
		t.Errorf("interpolated PR AUC %v, Keras's formula %v", got, want)
	}
}
