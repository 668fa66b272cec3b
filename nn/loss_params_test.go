package nn

import (
	"math"
	"strings"
	"testing"

	"github.com/anvil-ml/anvil/tensor"
)

// TestLossNamesWithArguments: the names Keras's losses go by, and the
// arguments LabelSmoothing and Huber write, resolve to the op's kind and
// parameters; malformed or misplaced arguments are refused.
func TestLossNamesWithArguments(t *testing.T) {
	good := []struct {
		name       string
		kind       tensor.LossKind
		smoothing  float32
		delta      float32
		fromLogits bool
	}{
		{"huber", tensor.Huber, 0, 1, false},
		{"log_cosh", tensor.LogCosh, 0, 0, false},
		{"logcosh", tensor.LogCosh, 0, 0, false},
		{Huber(2.5), tensor.Huber, 0, 2.5, false},
		{"huber( delta = 0.5 )", tensor.Huber, 0, 0.5, false},
		{LabelSmoothing("categorical_crossentropy", 0.1), tensor.CategoricalCrossentropy, 0.1, 0, false},
		{LabelSmoothing(FromLogits("binary_crossentropy"), 0.2), tensor.BinaryCrossentropy, 0.2, 0, true},
		{FromLogits(LabelSmoothing("categorical_crossentropy", 0.3)), tensor.CategoricalCrossentropy, 0.3, 0, true},
		{LabelSmoothing(LabelSmoothing("binary_crossentropy", 0.3), 0.05), tensor.BinaryCrossentropy, 0.05, 0, false},
		// The edges of the ranges Keras accepts: smoothing in [0, 1], any
		// positive delta a float32 holds.
		{"categorical_crossentropy(label_smoothing=0)", tensor.CategoricalCrossentropy, 0, 0, false},
		{"binary_crossentropy(label_smoothing=1)", tensor.BinaryCrossentropy, 1, 0, false},
		{"huber(delta=3.4028234663852886e+38)", tensor.Huber, 0, math.MaxFloat32, false},
	}
	for _, c := range good {
		l, err := lossByName(c.name)
		if err != nil {
			t.Errorf("%q: %v", c.name, err)
			continue
		}
		if l.kind != c.kind || l.smoothing != c.smoothing || l.delta != c.delta || l.fromLogits != c.fromLogits || l.name != c.name {
			t.Errorf("%q = %+v", c.name, l)
		}
	}
	bad := []struct{ name, want string }{
		{LabelSmoothing("sparse_categorical_crossentropy", 0.1), "takes no argument label_smoothing"},
		{LabelSmoothing("mse", 0.1), "takes no argument label_smoothing"},
		{"categorical_crossentropy(label_smoothing=1.5)", "must be in [0, 1]"},
		{"binary_crossentropy(label_smoothing=nan)", "must be in [0, 1]"},
		{Huber(0), "delta 0 must be positive"},
		{"huber(delta=-1)", "delta -1 must be positive"},
		{"huber(delta=inf)", "positive and finite"},
		{"huber(delta=x)", `"x" is not a number`},
		{"huber(delta=1", "must end with ')'"},
		{"huber(delta)", "is not key=value"},
		{"huber(delta=1, delta=2)", "given twice"},
		{"log_cosh(delta=1)", "takes no argument delta"},
		{"hubber", "unknown loss"},
	}
	for _, c := range bad {
		if _, err := lossByName(c.name); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: got %v, want an error containing %q", c.name, err, c.want)
		}
	}
}

// TestLabelSmoothingEndToEnd: Evaluate with label smoothing gives Keras's
// formula on the model's own predictions (targets y·(1−ls) + ls/classes,
// or + 0.5·ls for binary), and the accuracy still reads the targets as
// given.
func TestLabelSmoothingEndToEnd(t *testing.T) {
	x, _ := regressionData(12)
	for _, c := range []struct {
		loss    string
		units   int
		act     string
		ls, add float64
	}{
		{LabelSmoothing("categorical_crossentropy", 0.2), 3, "softmax", 0.2, 0.2 / 3},
		{LabelSmoothing("binary_crossentropy", 0.1), 1, "sigmoid", 0.1, 0.05},
	} {
		t.Run(c.loss, func(t *testing.T) {
			ClearSession()
			m, err := NewSequential(Dense(c.units, WithInputShape(4), WithActivation(c.act)))
			if err != nil {
				t.Fatal(err)
			}
			if err := m.Compile(SGD(), c.loss, "accuracy"); err != nil {
				t.Fatal(err)
			}
			y := tensor.New(12, c.units)
			for i := range 12 {
				y.Data[i*c.units+i%c.units] = 1
				if c.units == 1 {
					y.Data[i] = float32(i % 2)
				}
			}
			p, err := m.Predict(x, 5)
			if err != nil {
				t.Fatal(err)
			}
			want, correct := 0.0, 0
			for i := range 12 {
				best := 0
				for j := range c.units {
					pv, yv := float64(p.Data[i*c.units+j]), float64(y.Data[i*c.units+j])*(1-c.ls)+c.add
					if c.units == 1 {
						want -= yv*math.Log(pv) + (1-yv)*math.Log(1-pv)
						if (pv > 0.5) == (y.Data[i] == 1) {
							correct++
						}
						continue
					}
					want -= yv * math.Log(pv)
					if p.Data[i*c.units+j] > p.Data[i*c.units+best] {
						best = j
					}
				}
				if c.units > 1 && y.Data[i*c.units+best] == 1 {
					correct++
				}
			}
			want /= 12
			got, err := m.Evaluate(x, y, 5)
			if err != nil {
				t.Fatal(err)
			}
			if math.Abs(got.Loss()-want) > 1e-5*want {
				t.Errorf("loss %v, want %v", got.Loss(), want)
			}
			if acc := got.Values[1]; math.Abs(acc-float64(correct)/12) > 1e-6 {
				t.Errorf("accuracy %v, want %v", acc, float64(correct)/12)
			}
		})
	}
}

// TestGradientsOfNewLosses checks the model gradients of label-smoothed
// cross-entropies, Huber and LogCosh against central differences.
func TestGradientsOfNewLosses(t *testing.T) {
	for _, c := range []struct {
		loss, act string
		units     int
	}{
		{LabelSmoothing("categorical_crossentropy", 0.2), "softmax", 3},
		{LabelSmoothing("binary_crossentropy", 0.1), "sigmoid", 2},
		{Huber(0.7), "linear", 3},
		{"log_cosh", "linear", 3},
	} {
		t.Run(c.loss, func(t *testing.T) {
			ClearSession()
			m, err := NewSequential(Dense(5, WithInputShape(4), WithActivation("tanh")), Dense(c.units, WithActivation(c.act)))
			if err != nil {
				t.Fatal(err)
			}
			y := oneHotRandom(9, 6, c.units)
			if c.act == "linear" {
				y = randomTensor(10, 2, 6, c.units) // errors past Huber's delta too
			}
			checkModelGradients(t, m, c.loss, randomTensor(8, 1, 6, 4), y)
		})
	}
}

// TestLossArgumentsSurviveACheckpoint: the loss name, arguments and all,
// is what a checkpoint records, so a loaded model trains with the same
// label smoothing or delta.
func TestLossArgumentsSurviveACheckpoint(t *testing.T) {
	for _, loss := range []string{LabelSmoothing(FromLogits("categorical_crossentropy"), 0.15), Huber(0.5)} {
		m := regressionModel(t, loss, 0.01)
		dir := t.TempDir()
		if err := m.SaveCheckpoint(dir, Checkpoint{}); err != nil {
			t.Fatal(err)
		}
		back, _, err := LoadCheckpoint(dir)
		if err != nil {
			t.Fatal(err)
		}
		if got, want := back.compiled.loss, m.compiled.loss; got != want {
			t.Errorf("loaded loss %+v, want %+v", got, want)
		}
	}
}
