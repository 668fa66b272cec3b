package nn

import (
	"context"
	"errors"
	"path/filepath"
	"reflect"
	"slices"
	"testing"
)

// resumeWith trains a model compiled with newOpt() for 4 epochs whole, and
// again stopped after 2 and resumed from a checkpoint; it returns whether
// the weights agree bit for bit, and whether a control resume whose
// optimizer slots were zeroed (Nadam's product, the moments) agrees too.
func resumeWith(t *testing.T, newOpt func() Optimizer) (resumedSame, carelessSame bool) {
	t.Helper()
	const epochs, stopAfter, seed = 4, 2, 11
	x, y := spiral(64)
	opts := FitOptions{Verbose: Silent, Epochs: epochs, BatchSize: 10, Seed: seed}
	build := func() *Model {
		ClearSession()
		m, err := NewSequential(Dense(16, WithInputShape(2), WithActivation("relu")), Dropout(0.3),
			Dense(2, WithActivation("softmax")))
		if err != nil {
			t.Fatal(err)
		}
		if err := m.Compile(newOpt(), "sparse_categorical_crossentropy", "accuracy"); err != nil {
			t.Fatal(err)
		}
		return m
	}
	whole := build()
	if _, err := whole.Fit(context.Background(), x, y, opts); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "ckpt")
	stop := errors.New("stopped on purpose")
	first := build()
	stopping := opts
	stopping.OnEpochEnd = func(e EpochEnd) error {
		if e.Epoch+1 < stopAfter {
			return nil
		}
		if err := first.SaveCheckpoint(dir, Checkpoint{Epoch: e.Epoch + 1, Seed: seed}); err != nil {
			return err
		}
		return stop
	}
	if _, err := first.Fit(context.Background(), x, y, stopping); !errors.Is(err, stop) {
		t.Fatalf("Fit = %v, want the stop error", err)
	}
	resumed, c, err := LoadCheckpoint(dir)
	if err != nil {
		t.Fatal(err)
	}
	careless, _, err := LoadCheckpoint(dir)
	if err != nil {
		t.Fatal(err)
	}
	for v, slots := range careless.compiled.slots {
		careless.compiled.slots[v] = slots[:len(slots)-1] // the last slot starts again from zero
	}
	resume := opts
	resume.InitialEpoch, resume.Seed = c.Epoch, c.Seed
	for _, m := range []*Model{resumed, careless} {
		if _, err := m.Fit(context.Background(), x, y, resume); err != nil {
			t.Fatal(err)
		}
	}
	want := weightsOf(t, whole)
	return sameWeights(want, weightsOf(t, resumed)), sameWeights(want, weightsOf(t, careless))
}

func TestResumeAdamWNadamBitIdentical(t *testing.T) {
	for _, newOpt := range []func() Optimizer{
		func() Optimizer { o := AdamW(0.01); o.WeightDecay = 0.05; return o },
		func() Optimizer { return Nadam(0.01) },
	} {
		name := newOpt().Name()
		same, careless := resumeWith(t, newOpt)
		if !same {
			t.Errorf("%s: resumed training did not reproduce the uninterrupted run's weights bit for bit", name)
		}
		if careless {
			t.Errorf("%s: resuming with the last slot (v, u_product) zeroed gave the same weights: the test is not sensitive", name)
		}
	}
}

func TestCheckpointRestoresAdamWNadamSettings(t *testing.T) {
	w := AdamW(0.002)
	w.WeightDecay, w.Beta1 = 0.01, 0.8
	n := Nadam(0.003)
	n.Beta2, n.Epsilon = 0.99, 1e-6
	for _, opt := range []Optimizer{w, n} {
		ClearSession()
		m, _ := NewSequential(Dense(3, WithInputShape(2)), Dense(1))
		if err := m.Compile(opt, "mse", "mae"); err != nil {
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
}

// TestAdamWWithoutDecayIsAdam: AdamW's decay of 0 leaves Adam's update
// bit for bit, and a decay shrinks the weights (both fit the same data
// from the same seed).
func TestAdamWWithoutDecayIsAdam(t *testing.T) {
	x, y := spiral(64)
	fit := func(opt Optimizer) *Model {
		ClearSession()
		m, _ := NewSequential(Dense(8, WithInputShape(2), WithActivation("relu")), Dense(2, WithActivation("softmax")))
		if err := m.Compile(opt, "sparse_categorical_crossentropy"); err != nil {
			t.Fatal(err)
		}
		if _, err := m.Fit(context.Background(), x, y, FitOptions{Verbose: Silent, Epochs: 2, BatchSize: 8, Seed: 3}); err != nil {
			t.Fatal(err)
		}
		return m
	}
	none := AdamW(0.01)
	none.WeightDecay = 0
	if !sameWeights(weightsOf(t, fit(Adam(0.01))), weightsOf(t, fit(none))) {
		t.Error("AdamW with weight_decay 0 differs from Adam")
	}
	strong := AdamW(0.01)
	strong.WeightDecay = 5
	if sameWeights(weightsOf(t, fit(Adam(0.01))), weightsOf(t, fit(strong))) {
		t.Error("AdamW with weight_decay 5 equals Adam")
	}
}

func TestOptimizerByNameAdamWNadam(t *testing.T) {
	for name, want := range map[string]Optimizer{"adamw": AdamW(0.001), "Nadam": Nadam(0.001)} {
		got, err := OptimizerByName(name)
		if err != nil || !reflect.DeepEqual(got, want) {
			t.Errorf("OptimizerByName(%q) = %#v, %v", name, got, err)
		}
	}
	if w := AdamW(0.001); w.WeightDecay != 0.004 || w.Beta1 != 0.9 || w.Beta2 != 0.999 || w.Epsilon != 1e-7 {
		t.Errorf("AdamW defaults %+v, want Keras's weight_decay 0.004, betas 0.9, 0.999, epsilon 1e-7", w)
	}
	bad := AdamW(0.001)
	bad.WeightDecay = -1
	ClearSession()
	m, _ := NewSequential(Dense(1, WithInputShape(1)))
	wantErr(t, m.Compile(bad, "mse"), "weight_decay")
}

// TestRMSpropKeepsMomentumOnlyWhenUsed: as Keras's RMSprop, the optimizer
// keeps a momentum slot beside its mean square only when momentum is not 0.
func TestRMSpropKeepsMomentumOnlyWhenUsed(t *testing.T) {
	plain := RMSprop(0.01)
	if got := plain.slots(); !slices.Equal(got, []string{"rms"}) {
		t.Errorf("RMSprop without momentum keeps %v, want [rms]", got)
	}
	heavy := RMSprop(0.01)
	heavy.Momentum = 0.9
	if got := heavy.slots(); !slices.Equal(got, []string{"rms", "momentum"}) {
		t.Errorf("RMSprop with momentum 0.9 keeps %v, want [rms momentum]", got)
	}
}
