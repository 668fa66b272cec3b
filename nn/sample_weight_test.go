package nn

import (
	"context"
	"math"
	"strings"
	"testing"

	"github.com/anvil-ml/anvil/tensor"
)

// fitWeights trains a fresh imageModel on d and returns its weights and
// history.
func fitWeights(t *testing.T, loss string, budget int64, d Data, o FitOptions) ([]*tensor.Tensor, *History) {
	t.Helper()
	m := imageModel(t, loss)
	m.SetDataBudget(budget)
	h, err := m.FitData(context.Background(), d, o)
	if err != nil {
		t.Fatal(err)
	}
	return weightsOf(t, m), h
}

// TestSampleWeightOnesChangeNothing: weights of one train exactly as no
// weights, bit for bit.
func TestSampleWeightOnesChangeNothing(t *testing.T) {
	b, labels := byteImages(60)
	o := FitOptions{Verbose: Silent, Epochs: 2, BatchSize: 16, Seed: 5}
	d := Data{Bytes: []*tensor.Bytes{b}, Labels: labels}
	wa, ha := fitWeights(t, "categorical_crossentropy", 0, d, o)
	d.SampleWeight = make([]float32, 60)
	for i := range d.SampleWeight {
		d.SampleWeight[i] = 1
	}
	wb, hb := fitWeights(t, "categorical_crossentropy", 0, d, o)
	if !sameWeights(wa, wb) || ha.Metrics["loss"][1] != hb.Metrics["loss"][1] {
		t.Errorf("weights of one changed training: loss %v vs %v", ha.Metrics["loss"], hb.Metrics["loss"])
	}
}

// TestSampleWeightFollowsSamples: with shuffling, resident and streamed,
// the samples weighted 0 can have any labels without changing the
// weights or the loss by a bit, which holds only if each weight reaches
// its own sample's loss. The accuracy, unweighted as in Keras, does see
// them (checkAccuracyUnweighted).
func TestSampleWeightFollowsSamples(t *testing.T) {
	b, labels := byteImages(90)
	w := make([]float32, 90)
	other := append([]int(nil), labels...)
	for i := range w {
		w[i] = 0.5 + float32(i%4)*0.25
		if i%7 == 3 {
			w[i], other[i] = 0, (labels[i]+1)%3
		}
	}
	o := FitOptions{Verbose: Silent, Epochs: 2, BatchSize: 16, Seed: 9}
	for _, budget := range []int64{0, 40 * 20} { // resident; streamed in chunks of 16 samples
		a := Data{Bytes: []*tensor.Bytes{b}, Labels: labels, SampleWeight: w}
		c := Data{Bytes: []*tensor.Bytes{b}, Labels: other, SampleWeight: w}
		wa, ha := fitWeights(t, "categorical_crossentropy", budget, a, o)
		wc, hc := fitWeights(t, "categorical_crossentropy", budget, c, o)
		if !sameWeights(wa, wc) {
			t.Errorf("budget %d: the labels of samples weighted 0 changed the weights", budget)
		}
		if ha.Metrics["loss"][1] != hc.Metrics["loss"][1] {
			t.Errorf("budget %d: loss %v vs %v", budget, ha.Metrics["loss"], hc.Metrics["loss"])
		}
	}
	checkAccuracyUnweighted(t, Data{Bytes: []*tensor.Bytes{b}, Labels: other, SampleWeight: w})
}

// checkAccuracyUnweighted: Evaluate's accuracy on weighted data is the
// plain fraction of samples classified right, as in Keras (the weights
// reach the loss only); the data is chosen so that the weighted fraction
// differs.
func checkAccuracyUnweighted(t *testing.T, d Data) {
	t.Helper()
	m := imageModel(t, "categorical_crossentropy")
	if _, err := m.FitData(context.Background(), d, FitOptions{Verbose: Silent, Epochs: 1, BatchSize: 16, Seed: 2}); err != nil {
		t.Fatal(err)
	}
	p, err := m.PredictData(Data{Bytes: d.Bytes}, 16)
	if err != nil {
		t.Fatal(err)
	}
	var right, weighted, total float64
	for i, label := range d.Labels {
		row := p.Data[3*i : 3*i+3]
		best := 0
		for k := range row {
			if row[k] > row[best] {
				best = k
			}
		}
		if best == label {
			right++
			weighted += float64(d.SampleWeight[i])
		}
		total += float64(d.SampleWeight[i])
	}
	plain := right / float64(len(d.Labels))
	if math.Abs(plain-weighted/total) < 1e-9 {
		t.Fatalf("the data cannot tell weighted from plain accuracy (%v)", plain)
	}
	res, err := m.EvaluateData(d, 16)
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := res.Get("accuracy"); math.Abs(got-plain) > 1e-9 {
		t.Errorf("Evaluate's accuracy %v, want the plain fraction %v (weighted: %v)", got, plain, weighted/total)
	}
}

// regressionModel is Dense(3) on 4 features, linear, with loss and SGD.
func regressionModel(t *testing.T, loss string, lr float32) *Model {
	t.Helper()
	ClearSession()
	m, err := NewSequential(Dense(3, WithInputShape(4)))
	if err != nil {
		t.Fatal(err)
	}
	opt := SGD()
	opt.LR = lr
	if err := m.Compile(opt, loss); err != nil {
		t.Fatal(err)
	}
	return m
}

// regressionData draws n samples of 4 features and 3 targets.
func regressionData(n int) (x, y *tensor.Tensor) {
	rng := tensor.NewStream(31, 0)
	x, y = tensor.New(n, 4), tensor.New(n, 3)
	for i := range x.Data {
		x.Data[i] = float32(rng.Float64()*2 - 1)
	}
	for i := range y.Data {
		y.Data[i] = float32(rng.Float64()*6 - 3) // errors past Huber's delta too
	}
	return x, y
}

// TestSampleWeightZeroEqualsOmitted: a sample weighted 0 is left out of
// the loss, but Keras's sum_over_batch_size still divides by the batch
// size, n, not by the weights' sum. So one full-batch SGD step with
// sample k weighted 0 equals one step on the data without k at the
// learning rate scaled by (n−1)/n, and its loss is the other's times
// (n−1)/n. A reduction by the weights' sum would need no scaling and
// fails this test.
func TestSampleWeightZeroEqualsOmitted(t *testing.T) {
	const n, k, lr = 10, 4, 0.1
	x, y := regressionData(n)
	xo, yo := tensor.New(n-1, 4), tensor.New(n-1, 3)
	copy(xo.Data, x.Data[:k*4])
	copy(xo.Data[k*4:], x.Data[(k+1)*4:])
	copy(yo.Data, y.Data[:k*3])
	copy(yo.Data[k*3:], y.Data[(k+1)*3:])
	w := make([]float32, n)
	for i := range w {
		w[i] = 1
	}
	w[k] = 0
	for _, loss := range []string{"mse", "huber", "log_cosh"} {
		t.Run(loss, func(t *testing.T) {
			mw := regressionModel(t, loss, lr)
			init := weightsOf(t, mw)
			hw, err := mw.FitData(context.Background(), Data{X: []*tensor.Tensor{x}, Y: y, SampleWeight: w},
				FitOptions{Verbose: Silent, BatchSize: n, NoShuffle: true})
			if err != nil {
				t.Fatal(err)
			}
			mo := regressionModel(t, loss, lr*(n-1)/n)
			if err := mo.SetWeights(init); err != nil {
				t.Fatal(err)
			}
			ho, err := mo.FitData(context.Background(), XY(xo, yo), FitOptions{Verbose: Silent, BatchSize: n - 1, NoShuffle: true})
			if err != nil {
				t.Fatal(err)
			}
			lw, lo := hw.Metrics["loss"][0], ho.Metrics["loss"][0]
			if math.Abs(lw-lo*(n-1)/n) > 1e-6*lo {
				t.Errorf("loss with sample %d weighted 0: %v, want %v·(n−1)/n = %v", k, lw, lo, lo*(n-1)/n)
			}
			a, b := weightsOf(t, mw), weightsOf(t, mo)
			for i := range a {
				for j, v := range a[i].Data {
					if d := math.Abs(float64(v - b[i].Data[j])); d > 1e-6 {
						t.Fatalf("weight %d[%d]: %v vs %v", i, j, v, b[i].Data[j])
					}
				}
			}
		})
	}
}

// kerasLosses are Keras's documented per-sample losses, in float64, of
// outputs p and targets y of width values.
var kerasLosses = map[string]func(p, y []float64) float64{
	"huber": func(p, y []float64) float64 {
		s := 0.0
		for j := range p {
			x := math.Abs(p[j] - y[j])
			if x <= 1 {
				s += 0.5 * x * x
			} else {
				s += x - 0.5
			}
		}
		return s / float64(len(p))
	},
	"log_cosh": func(p, y []float64) float64 {
		s := 0.0
		for j := range p {
			s += math.Log(math.Cosh(p[j] - y[j]))
		}
		return s / float64(len(p))
	},
}

// TestEvaluateSampleWeight checks Huber and LogCosh end to end with
// sample weights against Keras's formulas on the model's own predictions:
// Σ w·loss / n.
func TestEvaluateSampleWeight(t *testing.T) {
	x, y := regressionData(13)
	w := make([]float32, 13)
	for i := range w {
		w[i] = float32(i%5) * 0.5
	}
	for name, ref := range kerasLosses {
		t.Run(name, func(t *testing.T) {
			m := regressionModel(t, name, 0.01)
			p, err := m.Predict(x, 4)
			if err != nil {
				t.Fatal(err)
			}
			want := 0.0
			for i := range 13 {
				want += float64(w[i]) * ref(f64s(p.Data[i*3:(i+1)*3]), f64s(y.Data[i*3:(i+1)*3]))
			}
			want /= 13
			got, err := m.EvaluateData(Data{X: []*tensor.Tensor{x}, Y: y, SampleWeight: w}, 4)
			if err != nil {
				t.Fatal(err)
			}
			if math.Abs(got.Loss()-want) > 1e-6*want {
				t.Errorf("weighted %s = %v, want %v", name, got.Loss(), want)
			}
		})
	}
}

func f64s(x []float32) []float64 {
	out := make([]float64, len(x))
	for i, v := range x {
		out[i] = float64(v)
	}
	return out
}

// TestClassWeight: ClassWeight trains exactly as the sample weights it
// stands for, whether the classes come as labels, one-hot rows or class
// indices, and multiplies given sample weights.
func TestClassWeight(t *testing.T) {
	b, labels := byteImages(60)
	cw := map[int]float32{0: 2, 1: 0.25} // class 2 is left out: weight 1
	manual, sw, both := make([]float32, 60), make([]float32, 60), make([]float32, 60)
	for i, l := range labels {
		manual[i] = map[int]float32{0: 2, 1: 0.25, 2: 1}[l]
		sw[i] = float32(i%3) * 0.5
		both[i] = manual[i] * sw[i]
	}
	o := FitOptions{Verbose: Silent, Epochs: 2, BatchSize: 16, Seed: 4}
	want, _ := fitWeights(t, "categorical_crossentropy", 0, Data{Bytes: []*tensor.Bytes{b}, Labels: labels, SampleWeight: manual}, o)
	oneHot, _ := ToCategorical(labels, 3)
	ow := o
	ow.ClassWeight = cw
	if got, _ := fitWeights(t, "categorical_crossentropy", 0, Data{Bytes: []*tensor.Bytes{b}, Labels: labels}, ow); !sameWeights(want, got) {
		t.Error("labels: ClassWeight differs from its sample weights")
	}
	if got, _ := fitWeights(t, "categorical_crossentropy", 0, Data{X: []*tensor.Tensor{b.Float()}, Y: oneHot}, ow); !sameWeights(want, got) {
		t.Error("one-hot: ClassWeight differs from its sample weights")
	}
	sparse := tensor.New(60, 1)
	for i, l := range labels {
		sparse.Data[i] = float32(l)
	}
	wantSparse, _ := fitWeights(t, "sparse_categorical_crossentropy", 0, Data{X: []*tensor.Tensor{b.Float()}, Y: sparse, SampleWeight: manual}, o)
	if got, _ := fitWeights(t, "sparse_categorical_crossentropy", 0, Data{X: []*tensor.Tensor{b.Float()}, Y: sparse}, ow); !sameWeights(wantSparse, got) {
		t.Error("sparse: ClassWeight differs from its sample weights")
	}
	wantBoth, _ := fitWeights(t, "categorical_crossentropy", 0, Data{Bytes: []*tensor.Bytes{b}, Labels: labels, SampleWeight: both}, o)
	if got, _ := fitWeights(t, "categorical_crossentropy", 0, Data{Bytes: []*tensor.Bytes{b}, Labels: labels, SampleWeight: sw}, ow); !sameWeights(wantBoth, got) {
		t.Error("ClassWeight and SampleWeight do not multiply")
	}
	if sameWeights(want, wantBoth) {
		t.Error("the weights made no difference")
	}
}

// TestTargetClass: the class of a target row, as Keras's
// class_weight_to_sample_weights finds it.
func TestTargetClass(t *testing.T) {
	rows := &targets{floats: []float32{0.1, 0.7, 0.2, 0, 0, 1}, width: 3}
	one := &targets{floats: []float32{0.2, 0.5, 0.51, 1.5}, width: 1}
	for _, c := range []struct {
		t    *targets
		i    int
		want int
	}{{rows, 0, 1}, {rows, 1, 2}, {one, 0, 0}, {one, 1, 0}, {one, 2, 1}, {one, 3, 2}} {
		if got := c.t.class(c.i); got != c.want {
			t.Errorf("class of row %d of %v = %d, want %d", c.i, c.t.floats, got, c.want)
		}
	}
}

// TestSampleWeightErrors: bad weights are refused with what and where.
func TestSampleWeightErrors(t *testing.T) {
	x, y := regressionData(4)
	nan := float32(math.NaN())
	cases := []struct {
		sw   []float32
		cw   map[int]float32
		want string
	}{
		{sw: []float32{1, 1, 1}, want: "4 samples but 3 sample weights"},
		{sw: []float32{1, -1, 1, 1}, want: "sample weight -1 of sample 1"},
		{sw: []float32{1, 1, nan, 1}, want: "sample weight NaN of sample 2"},
		{sw: []float32{1, 1, 1, float32(math.Inf(1))}, want: "sample weight +Inf of sample 3"},
		{cw: map[int]float32{3: 1}, want: "class 3, but the model's classes are 0..2"},
		{cw: map[int]float32{-1: 1}, want: "class -1"},
		{cw: map[int]float32{1: -2}, want: "ClassWeight of class 1 is -2"},
		{cw: map[int]float32{1: nan}, want: "ClassWeight of class 1 is NaN"},
	}
	for _, c := range cases {
		m := regressionModel(t, "mse", 0.01)
		_, err := m.FitData(context.Background(), Data{X: []*tensor.Tensor{x}, Y: y, SampleWeight: c.sw},
			FitOptions{Verbose: Silent, ClassWeight: c.cw})
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("got %v, want an error containing %q", err, c.want)
		}
	}
	m := regressionModel(t, "mse", 0.01)
	if _, err := m.EvaluateData(Data{X: []*tensor.Tensor{x}, Y: y, SampleWeight: []float32{1}}, 4); err == nil ||
		!strings.Contains(err.Error(), "evaluate: 4 samples but 1 sample weights") {
		t.Errorf("Evaluate: got %v", err)
	}
	// A model with several class vectors per sample has no one class.
	ClearSession()
	seq, err := NewSequential(Dense(3, WithInputShape(2, 4)))
	if err != nil {
		t.Fatal(err)
	}
	if err := seq.Compile(SGD(), "mse"); err != nil {
		t.Fatal(err)
	}
	_, err = seq.FitData(context.Background(), XY(tensor.New(2, 2, 4), tensor.New(2, 2, 3)),
		FitOptions{Verbose: Silent, ClassWeight: map[int]float32{0: 1}})
	if err == nil || !strings.Contains(err.Error(), "one class vector per sample") {
		t.Errorf("ClassWeight on a sequence output: got %v", err)
	}
}

// TestValidationSampleWeight: validation data with sample weights gives
// the weighted val_loss, the value EvaluateData gives on it afterwards.
func TestValidationSampleWeight(t *testing.T) {
	x, y := regressionData(12)
	vx, vy := regressionData(7)
	vw := []float32{0, 1, 2, 0.5, 1, 3, 0}
	val := Data{X: []*tensor.Tensor{vx}, Y: vy, SampleWeight: vw}
	m := regressionModel(t, "huber", 0.05)
	h, err := m.FitData(context.Background(), XY(x, y), FitOptions{Verbose: Silent, BatchSize: 5, ValidationData: &val})
	if err != nil {
		t.Fatal(err)
	}
	got, err := m.EvaluateData(val, 5)
	if err != nil {
		t.Fatal(err)
	}
	unweighted, err := m.Evaluate(vx, vy, 5)
	if err != nil {
		t.Fatal(err)
	}
	if v := h.Metrics["val_loss"][0]; v != got.Loss() || v == unweighted.Loss() {
		t.Errorf("val_loss %v, want the weighted %v (unweighted %v)", v, got.Loss(), unweighted.Loss())
	}
}
