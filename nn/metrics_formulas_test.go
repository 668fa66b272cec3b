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

// TestFBetaMatchesKerasFormula checks the F-beta reduction against a
// transcription of Keras's FBetaScore.result, with its epsilon 1e-7
// (keras.backend.epsilon()), on counts small enough that every epsilon
// moves the result by about 1e-7, far above the 1e-12 allowed.
func TestFBetaMatchesKerasFormula(t *testing.T) {
	const eps = 1e-7
	c := confusionCounts{tp: []float64{1, 0, 2}, fp: []float64{0, 1, 1}, fn: []float64{0, 0, 1}, tn: make([]float64, 3)}
	const beta = 2.0
	score := func(tp, fp, fn float64) float64 {
		precision := tp / (tp + fp + eps)
		recall := tp / (tp + fn + eps)
		mean := precision * recall / (beta*beta*precision + recall + eps)
		return mean * (1 + beta*beta)
	}
	var tp, fp, fn, macro float64
	support := make([]float64, 3)
	for i := range 3 {
		tp, fp, fn = tp+c.tp[i], fp+c.fp[i], fn+c.fn[i]
		support[i] = c.tp[i] + c.fn[i]
		macro += score(c.tp[i], c.fp[i], c.fn[i]) / 3
	}
	total := support[0] + support[1] + support[2]
	weighted := 0.0
	for i := range 3 {
		weighted += support[i] / (total + eps) * score(c.tp[i], c.fp[i], c.fn[i])
	}
	for _, w := range []struct {
		average string
		want    float64
	}{{"micro", score(tp, fp, fn)}, {"macro", macro}, {"weighted", weighted}} {
		if got := fbetaAverage(c, w.average, beta); !(math.Abs(got-w.want) <= 1e-12) {
			t.Errorf("average=%s: %.12f, Keras's formula %.12f", w.average, got, w.want)
		}
	}
}
