package nn

import (
	"context"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/anvil-ml/anvil/tensor"
)

// identityModel is Dense(width) with an identity kernel and no bias, so
// its output is its input: the tests feed predictions in as features. A
// softmax keeps each row's order, which is all the top-k metrics see.
func identityModel(t *testing.T, width int, act string) *Model {
	t.Helper()
	ClearSession()
	m, err := NewSequential(Dense(width, WithInputShape(width), WithActivation(act)))
	if err != nil {
		t.Fatal(err)
	}
	kernel, bias := tensor.New(width, width), tensor.New(width)
	for i := 0; i < width; i++ {
		kernel.Data[i*width+i] = 1
	}
	if err := m.SetWeights([]*tensor.Tensor{kernel, bias}); err != nil {
		t.Fatal(err)
	}
	return m
}

// evaluate compiles m with loss and metrics and evaluates it on rows of
// predictions p against targets y.
func evaluate(t *testing.T, m *Model, loss string, metrics []string, p, y []float32, yWidth, batch int) Results {
	t.Helper()
	if err := m.Compile(SGD(), loss, metrics...); err != nil {
		t.Fatal(err)
	}
	w := m.output.shape[len(m.output.shape)-1]
	x, err := tensor.FromData(p, len(p)/w, w)
	if err != nil {
		t.Fatal(err)
	}
	yt, err := tensor.FromData(y, len(y)/yWidth, yWidth)
	if err != nil {
		t.Fatal(err)
	}
	res, err := m.Evaluate(x, yt, batch)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// wantMetric checks one named result.
func wantMetric(t *testing.T, res Results, name string, want, tol float64) {
	t.Helper()
	got, ok := res.Get(name)
	if !ok {
		t.Fatalf("Evaluate gave %v, no %s", res.Names, name)
	}
	if math.IsNaN(got) || math.Abs(got-want) > tol {
		t.Errorf("%s = %.7f, want %.7f", name, got, want)
	}
}

// TestConfusionMetricsKerasExamples runs the worked examples of Keras's
// documentation through Evaluate: Precision and Recall on y_true
// [0,1,1,1], y_pred [1,0,1,1] give 0.6666667; AUC(num_thresholds=3) on
// [0,0,1,1], [0,0.5,0.3,0.9] gives 0.75; F1Score(threshold=0.5) on its
// 3×3 example gives [0.5, 0.8, 0.6666667] per class, whose mean (macro),
// support-weighted mean (supports 3, 2, 1) and pooled score (micro: tp 4,
// fp 2, fn 2) follow, and FBetaScore(beta=2.0) gives [0.3846154,
// 0.90909094, 0.8333334] per class; TopKCategoricalAccuracy(k=1) and its sparse twin on
// [[0.1,0.9,0.8],[0.05,0.95,0]] give 0.5. Keras computes in float32, hence
// 1e-6.
func TestConfusionMetricsKerasExamples(t *testing.T) {
	const tol = 1e-6
	res := evaluate(t, identityModel(t, 1, "linear"), "mse", []string{"precision", "recall"},
		[]float32{1, 0, 1, 1}, []float32{0, 1, 1, 1}, 1, 3)
	wantMetric(t, res, "precision", 2.0/3, tol)
	wantMetric(t, res, "recall", 2.0/3, tol)
	// A one-element list is Keras's spelling of one threshold too: at 0.9
	// the 0.8 is no longer a true positive (2/3 at 0.5).
	res = evaluate(t, identityModel(t, 1, "linear"), "mse", []string{"precision(thresholds=[0.9])"},
		[]float32{1, 0, 0.8, 1}, []float32{0, 1, 1, 1}, 1, 3)
	wantMetric(t, res, "precision", 0.5, tol)

	// Precision(top_k=2) on y_true [0,0,1,1], y_pred [1,1,1,1] gives 0.0
	// (the tie keeps the first two), top_k=4 gives 0.5.
	res = evaluate(t, identityModel(t, 4, "linear"), "mse", []string{"precision(top_k=2)", "recall(top_k=4)"},
		[]float32{1, 1, 1, 1}, []float32{0, 0, 1, 1}, 4, 1)
	wantMetric(t, res, "precision", 0, tol)
	wantMetric(t, res, "recall", 1, tol)
	res = evaluate(t, identityModel(t, 4, "linear"), "mse", []string{"precision(top_k=4)"},
		[]float32{1, 1, 1, 1}, []float32{0, 0, 1, 1}, 4, 1)
	wantMetric(t, res, "precision", 0.5, tol)

	// class_id=2 looks at the third column only: tp in row 1, fp in row 2,
	// fn in row 3 (over every column, precision would be 2/3 and recall 2/5).
	res = evaluate(t, identityModel(t, 5, "linear"), "mse", []string{"Precision(class_id=2)", "recall(class_id=2, thresholds=0.5)"},
		[]float32{0.2, 0.1, 0.6, 0, 0.2, 0.2, 0.1, 0.6, 0, 0.2, 0.9, 0, 0, 0, 0},
		[]float32{0, 1, 1, 0, 0, 0, 1, 0, 0, 0, 1, 0, 1, 0, 0}, 5, 2)
	wantMetric(t, res, "precision", 0.5, tol)
	wantMetric(t, res, "recall", 0.5, tol)

	// class_id=0, the first column: tp in row 0, fp in row 1, fn in row 2
	// (over every column precision and recall would be 3/4).
	res = evaluate(t, identityModel(t, 3, "linear"), "mse", []string{"precision(class_id=0)", "recall(class_id=0)"},
		[]float32{0.9, 0, 0, 0.8, 0.9, 0, 0.1, 0, 0.7},
		[]float32{1, 0, 0, 0, 1, 0, 1, 0, 1}, 3, 3)
	wantMetric(t, res, "precision", 0.5, tol)
	wantMetric(t, res, "recall", 0.5, tol)

	res = evaluate(t, identityModel(t, 1, "linear"), "mse", []string{"auc(num_thresholds=3)"},
		[]float32{0, 0.5, 0.3, 0.9}, []float32{0, 0, 1, 1}, 1, 4)
	wantMetric(t, res, "auc", 0.75, tol)

	perClass := []float64{0.5, 0.8, 0.6666667}
	res = evaluate(t, identityModel(t, 3, "linear"), "mse",
		[]string{"F1Score(average=macro, threshold=0.5)"},
		[]float32{0.2, 0.6, 0.7, 0.2, 0.6, 0.6, 0.6, 0.8, 0.0}, []float32{1, 1, 1, 1, 0, 0, 1, 1, 0}, 3, 2)
	wantMetric(t, res, "f1_score", (perClass[0]+perClass[1]+perClass[2])/3, tol)
	res = evaluate(t, identityModel(t, 3, "linear"), "mse", []string{"f1_score(average=weighted, threshold=0.5)"},
		[]float32{0.2, 0.6, 0.7, 0.2, 0.6, 0.6, 0.6, 0.8, 0.0}, []float32{1, 1, 1, 1, 0, 0, 1, 1, 0}, 3, 2)
	wantMetric(t, res, "f1_score", (3*perClass[0]+2*perClass[1]+1*perClass[2])/6, tol)
	res = evaluate(t, identityModel(t, 3, "linear"), "mse", []string{"f1_score(average=micro, threshold=0.5)"},
		[]float32{0.2, 0.6, 0.7, 0.2, 0.6, 0.6, 0.6, 0.8, 0.0}, []float32{1, 1, 1, 1, 0, 0, 1, 1, 0}, 3, 2)
	wantMetric(t, res, "f1_score", 2.0/3, tol)

	// FBetaScore(beta=2.0, threshold=0.5) on the same data gives
	// [0.3846154, 0.90909094, 0.8333334].
	res = evaluate(t, identityModel(t, 3, "linear"), "mse", []string{"FBetaScore(beta=2.0, average=macro, threshold=0.5)"},
		[]float32{0.2, 0.6, 0.7, 0.2, 0.6, 0.6, 0.6, 0.8, 0.0}, []float32{1, 1, 1, 1, 0, 0, 1, 1, 0}, 3, 2)
	wantMetric(t, res, "fbeta_score", (0.3846154+0.90909094+0.8333334)/3, tol)

	preds := []float32{0.1, 0.9, 0.8, 0.05, 0.95, 0}
	res = evaluate(t, identityModel(t, 3, "softmax"), "categorical_crossentropy", []string{"top_k_categorical_accuracy(k=1)"},
		preds, []float32{0, 0, 1, 0, 1, 0}, 3, 1)
	wantMetric(t, res, "top_k_categorical_accuracy", 0.5, 0)
	res = evaluate(t, identityModel(t, 3, "softmax"), "sparse_categorical_crossentropy",
		[]string{"SparseTopKCategoricalAccuracy(k=1)"}, preds, []float32{2, 1}, 1, 1)
	wantMetric(t, res, "sparse_top_k_categorical_accuracy", 0.5, 0)
}

// reference holds the metrics computed straight from their definitions
// over the whole set, as scikit-learn would: precision and recall at 0.5
// over every element, ROC AUC by Keras's interpolation over its 200
// thresholds (comparisons, not buckets), macro F1 by row arg-max and top-5
// by counting the classes scored above the target's.
func reference(p, y []float32, width int) map[string]float64 {
	var tp, fp, fn float64
	for i := range p {
		pos, act := p[i] > 0.5, y[i] != 0
		tp, fp, fn = tp+b2f(pos && act), fp+b2f(pos && !act), fn+b2f(!pos && act)
	}
	out := map[string]float64{"precision": tp / (tp + fp), "recall": tp / (tp + fn)}
	const n = 200
	var rec, fpr [n]float64
	for t := 0; t < n; t++ {
		thr := float32(float64(t) / (n - 1))
		switch t {
		case 0:
			thr = float32(-1e-7)
		case n - 1:
			thr = float32(1 + 1e-7)
		}
		var tp, fp, fn, tn float64
		for i := range p {
			pos, act := p[i] > thr, y[i] != 0
			tp, fp, fn, tn = tp+b2f(pos && act), fp+b2f(pos && !act), fn+b2f(!pos && act), tn+b2f(!pos && !act)
		}
		rec[t], fpr[t] = tp/(tp+fn), fp/(fp+tn)
	}
	auc := 0.0
	for t := 0; t < n-1; t++ {
		auc += (fpr[t] - fpr[t+1]) * (rec[t] + rec[t+1]) / 2
	}
	out["auc"] = auc
	f1s, hits := 0.0, 0.0
	for c := 0; c < width; c++ {
		var tp, fp, fn float64
		for r := 0; r < len(p)/width; r++ {
			row := p[r*width : (r+1)*width]
			pos, act := tensor.Argmax(row) == c, y[r*width+c] != 0
			tp, fp, fn = tp+b2f(pos && act), fp+b2f(pos && !act), fn+b2f(!pos && act)
		}
		f1s += 2 * tp / (2*tp + fp + fn)
	}
	out["f1_score"] = f1s / float64(width)
	for r := 0; r < len(p)/width; r++ {
		row, target := p[r*width:(r+1)*width], tensor.Argmax(y[r*width:(r+1)*width])
		above := 0
		for _, v := range row {
			above += int(b2f(v > row[target]))
		}
		hits += b2f(above < 5)
	}
	out["top_k_categorical_accuracy"] = hits / float64(len(p)/width)
	return out
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// TestConfusionMetricsAccumulate checks that the metrics accumulate over
// the whole epoch rather than averaging per batch: evaluating 53 samples
// in batches of 8 (a short last batch) and all at once both give the
// definitions' values over the whole set. Per-batch averaging of precision
// or AUC would not. Predictions are random in (0, 1), so none sits on a
// threshold, where the bucket shortcut and comparisons could differ in
// rounding; the F1 scores carry Keras's epsilon, hence 1e-5.
func TestConfusionMetricsAccumulate(t *testing.T) {
	const width, rows = 8, 53
	rng := rand.New(rand.NewPCG(3, 4))
	p, y := make([]float32, rows*width), make([]float32, rows*width)
	for i := range p {
		p[i] = rng.Float32()
	}
	for r := 0; r < rows; r++ {
		y[r*width+rng.IntN(width)] = 1
	}
	want := reference(p, y, width)
	metrics := []string{"precision", "recall", "auc", "f1_score(average=macro)", "top_k_categorical_accuracy"}
	for _, batch := range []int{8, rows} {
		res := evaluate(t, identityModel(t, width, "linear"), "mse", metrics, p, y, width, batch)
		for _, name := range []string{"precision", "recall", "auc", "f1_score", "top_k_categorical_accuracy"} {
			wantMetric(t, res, name, want[name], 1e-5)
		}
	}
}

// TestConfusionMetricsFit checks that Fit reports the metrics by name for
// training and validation, within their range, that the progress callback
// sees them mid-epoch, and that a checkpoint's compile settings keep the
// settings.
func TestConfusionMetricsFit(t *testing.T) {
	ClearSession()
	x, y := spiral(60)
	m, _ := NewSequential(Dense(8, WithInputShape(2), WithActivation("tanh")), Dense(2, WithActivation("softmax")))
	metrics := []string{"precision", "recall", "auc(num_thresholds=50)", "f1_score(average=weighted)"}
	if err := m.Compile(Adam(0.01), "categorical_crossentropy", metrics...); err != nil {
		t.Fatal(err)
	}
	oneHot := tensor.New(60, 2)
	for i := 0; i < 60; i++ {
		oneHot.Data[2*i+int(y.Data[i])] = 1
	}
	seen := 0
	h, err := m.Fit(context.Background(), x, oneHot, FitOptions{Verbose: Silent, Epochs: 2, BatchSize: 16,
		ValidationX: x, ValidationY: oneHot, OnProgress: func(p Progress) error { seen += len(p.Values); return nil }})
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"precision", "recall", "auc", "f1_score", "val_precision", "val_auc", "val_f1_score"} {
		vs := h.Metrics[name]
		if len(vs) != 2 || !(vs[1] >= 0 && vs[1] <= 1) {
			t.Errorf("history %s = %v, want two values in [0, 1]", name, vs)
		}
	}
	if seen == 0 {
		t.Error("the progress callback saw no values")
	}
	if got := m.compileJSON().Metrics; len(got) != 4 || got[2] != "auc(num_thresholds=50)" {
		t.Errorf("checkpoint metrics = %v, want the names as compiled", got)
	}
}

// TestConfusionMetricErrors checks the messages for metric settings a
// user can get wrong.
func TestConfusionMetricErrors(t *testing.T) {
	m := identityModel(t, 3, "softmax")
	for _, c := range []struct {
		loss, metric string
		parts        []string
	}{
		{"categorical_crossentropy", "f1_score", []string{"average=macro", "one score per class"}},
		{"categorical_crossentropy", "f1_score(average=median)", []string{"median", "micro, macro or weighted"}},
		{"categorical_crossentropy", "auc(num_thresholds=1)", []string{"num_thresholds=1", "at least 2"}},
		{"categorical_crossentropy", "auc(curve=XY)", []string{"curve=XY", "ROC or PR"}},
		{"categorical_crossentropy", "auc(summation_method=mean)", []string{"summation_method=mean", "minoring"}},
		{"categorical_crossentropy", "precision(thresholds=1.5)", []string{"thresholds=1.5", "[0, 1]"}},
		{"categorical_crossentropy", "f1_score(average=macro, threshold=0)", []string{"threshold=0", "(0, 1]"}},
		{"categorical_crossentropy", "precision(sample_weight=2)", []string{"unknown setting sample_weight", "thresholds"}},
		{"categorical_crossentropy", "precision(top_k=0)", []string{"top_k=0", "at least 1"}},
		{"categorical_crossentropy", "recall(class_id=3)", []string{"class_id=3", "3 classes"}},
		{"categorical_crossentropy", "recall(thresholds=[0.3, 0.7])", []string{"[0.3, 0.7]", "give one threshold"}},
		{"categorical_crossentropy", "f1_score(average=macro, beta=2)", []string{"unknown setting beta (known: average, threshold)"}},
		{"categorical_crossentropy", "fbeta_score(average=macro, gamma=2)", []string{"unknown setting gamma (known: average, beta, threshold)"}},
		{"categorical_crossentropy", "fbeta_score(average=macro, beta=0)", []string{"beta=0", "(0, "}},
		{"categorical_crossentropy", "top_k_categorical_accuracy(k=0", []string{`end with ")"`}},
		{"categorical_crossentropy", "accuracy(k=2)", []string{"takes no settings"}},
		{"sparse_categorical_crossentropy", "precision", []string{"label formats"}},
		{"categorical_crossentropy", "sparse_top_k_categorical_accuracy", []string{"label formats"}},
	} {
		wantErr(t, m.Compile(SGD(), c.loss, c.metric), c.parts...)
	}
	wantErr(t, m.Compile(SGD(), "mse", "auc", "AUC(num_thresholds=10)"), "listed twice", "auc")
	// The closed ends of the ranges are accepted.
	if err := m.Compile(SGD(), "categorical_crossentropy", "precision(thresholds=0)", "recall(thresholds=1)",
		"f1_score(average=macro, threshold=1)"); err != nil {
		t.Errorf("thresholds at 0 and 1: %v", err)
	}
}

// TestSplitMetricNames checks that commas inside a metric's settings do
// not split it.
func TestSplitMetricNames(t *testing.T) {
	got := SplitMetricNames(" precision, f1_score(average=macro, threshold=0.5),,auc(num_thresholds=9), recall(thresholds=[0.3, 0.7], class_id=1) ")
	want := []string{"precision", "f1_score(average=macro, threshold=0.5)", "auc(num_thresholds=9)", "recall(thresholds=[0.3, 0.7], class_id=1)"}
	if len(got) != len(want) {
		t.Fatalf("SplitMetricNames = %q, want %q", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("name %d = %q, want %q", i, got[i], want[i])
		}
	}
}

// TestAUCVariants checks every curve and summation method on the counts
// of Keras's weighted AUC tests (tp [7,4,0], fp [3,0,0], fn [0,3,7], tn
// [0,3,3]), with the values those tests derive: recall [1, 4/7, 0], false
// positive rate [1, 0, 0], precision [0.7, 1, 0]; ROC majoring 1,
// minoring 4/7, interpolation (1+4/7)/2; PR majoring 1, minoring
// 0.7·3/7; PR interpolation 0.5·(3 + 2·ln 2.5)/7 + 4/7.
func TestAUCVariants(t *testing.T) {
	state := []float64{7, 4, 0, 3, 0, 0, 0, 3, 7, 0, 3, 3} // tp, fp, fn, tn rows
	for _, c := range []struct {
		curve, sum string
		want       float64
	}{
		{"ROC", "majoring", 1}, {"ROC", "minoring", 4.0 / 7}, {"ROC", "interpolation", (1 + 4.0/7) / 2},
		{"PR", "majoring", 1}, {"PR", "minoring", 0.7 * 3 / 7},
		{"PR", "interpolation", 0.5*(3+2*math.Log(2.5))/7 + 4.0/7},
	} {
		got := aucSpec(3, c.curve, c.sum).finish(newCounts(state, 3))
		if math.Abs(got-c.want) > 1e-12 {
			t.Errorf("AUC %s %s = %v, want %v", c.curve, c.sum, got, c.want)
		}
	}
	ms, err := metricByName("auc(curve=pr, summation_method=Minoring)", lossSpec{}, 1)
	if err != nil {
		t.Fatal(err)
	}
	if got := ms.counts.finish(newCounts(state, 3)); math.Abs(got-0.3) > 1e-12 {
		t.Errorf("auc(curve=pr, summation_method=Minoring) = %v, want the PR minoring 0.3", got)
	}
}

// TestConfusionMetricsMonitorUp checks that callbacks watching a
// confusion metric in auto mode maximise it, as Keras's metrics with
// direction "up".
func TestConfusionMetricsMonitorUp(t *testing.T) {
	for _, name := range []string{"precision", "val_recall", "auc", "val_f1_score", "fbeta_score", "val_top_k_categorical_accuracy"} {
		w, err := newMonitor("EarlyStopping", name, "auto")
		if err != nil || !w.max {
			t.Errorf("monitor %s in auto mode: %+v, %v; want it maximised", name, w, err)
		}
	}
}
