package nn

import (
	"context"
	"math"
	"reflect"
	"testing"

	"github.com/anvil-ml/anvil/tensor"
)

// sgdStep compiles a fresh two-layer model (the same initial weights every
// call) with SGD at rate 1 and clipping c, runs one full-batch step, and
// returns each trainable variable's update w0 − w1: the clipped gradient.
func sgdStep(t *testing.T, c Clipping) [][]float64 {
	t.Helper()
	ClearSession()
	m, err := NewSequential(Dense(5, WithInputShape(3), WithActivation("tanh")), Dense(2))
	if err != nil {
		t.Fatal(err)
	}
	opt := SGD()
	opt.LR, opt.Clipping = 1, c
	if err := m.Compile(opt, "mse"); err != nil {
		t.Fatal(err)
	}
	x := tensor.New(8, 3)
	y := tensor.New(8, 2)
	for i := range x.Data {
		x.Data[i] = float32(math.Sin(float64(i)))
	}
	for i := range y.Data {
		y.Data[i] = 3 * float32(math.Cos(float64(i)))
	}
	before := weightsOf(t, m)
	if _, err := m.Fit(context.Background(), x, y, FitOptions{Verbose: Silent, Epochs: 1, BatchSize: 8, Seed: 1}); err != nil {
		t.Fatal(err)
	}
	var out [][]float64
	for i, w := range weightsOf(t, m) {
		d := make([]float64, len(w.Data))
		for j := range d {
			d[j] = float64(before[i].Data[j]) - float64(w.Data[j])
		}
		out = append(out, d)
	}
	return out
}

// TestClippingInTraining: the update of one SGD step at rate 1 is the
// gradient; with each of Keras's clipping settings it must be that
// gradient clipped as Keras documents (computed here in float64 from the
// unclipped step), with limits chosen so that each rule bites.
func TestClippingInTraining(t *testing.T) {
	g := sgdStep(t, Clipping{})
	norm := func(vs ...[]float64) float64 {
		s := 0.0
		for _, v := range vs {
			for _, x := range v {
				s += x * x
			}
		}
		return math.Sqrt(s)
	}
	global := norm(g...)
	third := float32(global / 3)
	cases := []struct {
		c     Clipping
		scale func(i int, x float64) float64
	}{
		{Clipping{ClipValue: 0.05}, func(_ int, x float64) float64 { return math.Max(-0.05, math.Min(0.05, x)) }},
		{Clipping{ClipNorm: 0.1}, func(i int, x float64) float64 { return x * 0.1 / math.Max(norm(g[i]), 0.1) }},
		{Clipping{GlobalClipNorm: third}, func(_ int, x float64) float64 { return x * float64(third) / global }},
		{Clipping{GlobalClipNorm: float32(global * 2)}, func(_ int, x float64) float64 { return x }},
	}
	for _, c := range cases {
		got := sgdStep(t, c.c)
		changed := false
		for i := range g {
			for j, x := range g[i] {
				want := c.scale(i, x)
				changed = changed || math.Abs(want-x) > 1e-3*math.Abs(x)
				// A float32 step from weights of order 1: ~1e-7 absolute.
				if d := math.Abs(got[i][j] - want); d > 1e-6 {
					t.Fatalf("%+v: variable %d element %d: update %g, want %g (unclipped %g)", c.c, i, j, got[i][j], want, x)
				}
			}
		}
		if !changed && float64(c.c.GlobalClipNorm) < global {
			t.Errorf("%+v clipped nothing: the limit does not bite", c.c)
		}
	}
}

func TestClippingErrorsAndConfig(t *testing.T) {
	ClearSession()
	m, _ := NewSequential(Dense(1, WithInputShape(1)))
	both := Adam(0.01)
	both.ClipNorm, both.GlobalClipNorm = 1, 1
	wantErr(t, m.Compile(both, "mse"), "only one of clipnorm, clipvalue and global_clipnorm")
	neg := SGD()
	neg.ClipValue = -1
	wantErr(t, m.Compile(neg, "mse"), "clipvalue -1 must be a positive finite number")

	for _, opt := range []Optimizer{
		&SGDOptimizer{LR: 0.1, Clipping: Clipping{ClipValue: 0.5}},
		&RMSpropOptimizer{LR: 0.01, Rho: 0.9, Epsilon: 1e-7, Clipping: Clipping{GlobalClipNorm: 2}},
		&NadamOptimizer{LR: 0.01, Beta1: 0.9, Beta2: 0.999, Epsilon: 1e-7, Clipping: Clipping{ClipNorm: 1.5}},
		&AdamWOptimizer{AdamOptimizer: AdamOptimizer{LR: 0.01, Beta1: 0.9, Beta2: 0.999, Epsilon: 1e-7,
			Clipping: Clipping{ClipNorm: 3}}, WeightDecay: 0.004},
	} {
		ClearSession()
		m, _ := NewSequential(Dense(3, WithInputShape(2)), Dense(1))
		if err := m.Compile(opt, "mse"); err != nil {
			t.Fatal(err)
		}
		dir := t.TempDir()
		if err := m.SaveCheckpoint(dir, Checkpoint{}); err != nil {
			t.Fatal(err)
		}
		back, _, err := LoadCheckpoint(dir)
		if err != nil {
			t.Fatal(err)
		}
		if got := back.compiled.opt; !reflect.DeepEqual(got, opt) {
			t.Errorf("%s: restored %#v, saved %#v", opt.Name(), got, opt)
		}
	}
	cfg := (&SGDOptimizer{LR: 0.1, Clipping: Clipping{ClipNorm: 2}}).Config()
	if cfg["clipnorm"] != float32(2) {
		t.Errorf("SGD config %v lacks Keras's clipnorm", cfg)
	}
}
