package nn

import (
	"bytes"
	"testing"
)

// TestReduceLROnPlateauMonitor: the monitor a user names is kept (here the
// training loss, with no validation data), and an empty one means Keras's
// "val_loss".
func TestReduceLROnPlateauMonitor(t *testing.T) {
	opt := &SGDOptimizer{LR: 0.1}
	m := tinyModel(t, opt)
	c := &ReduceLROnPlateauCallback{Monitor: "loss", Factor: 0.5, Patience: 1}
	c.SetModel(m)
	if err := c.OnTrainBegin(Logs{}); err != nil {
		t.Fatal(err)
	}
	for epoch := range 2 {
		if err := c.OnEpochEnd(epoch, Logs{"loss": 1}); err != nil {
			t.Fatalf("monitoring loss: %v", err)
		}
	}
	if got := opt.LearningRate(); got != 0.05 {
		t.Errorf("rate %v after a one-epoch plateau of the loss, want 0.05", got)
	}
	zero := &ReduceLROnPlateauCallback{Factor: 0.5}
	zero.SetModel(m)
	if err := zero.OnTrainBegin(Logs{}); err != nil {
		t.Fatal(err)
	}
	wantErr(t, zero.OnEpochEnd(0, Logs{"loss": 1}), `"val_loss"`)
}

// TestReduceLROnPlateauEdges: a factor of 0 is refused like one of 1, and a
// rate already at min_lr is left alone without a message (Keras reduces
// only while old_lr > min_lr).
func TestReduceLROnPlateauEdges(t *testing.T) {
	opt := &SGDOptimizer{LR: 0.02}
	m := tinyModel(t, opt)
	c := &ReduceLROnPlateauCallback{Monitor: "loss", Factor: 0}
	c.SetModel(m)
	wantErr(t, c.OnTrainBegin(Logs{}), "factor 0")
	var out bytes.Buffer
	c = &ReduceLROnPlateauCallback{Monitor: "loss", Factor: 0.5, Patience: 1, MinLR: 0.02, Verbose: 1}
	c.SetModel(m)
	c.SetParams(Params{Out: &out})
	if err := c.OnTrainBegin(Logs{}); err != nil {
		t.Fatal(err)
	}
	for epoch := range 3 {
		if err := c.OnEpochEnd(epoch, Logs{"loss": 1}); err != nil {
			t.Fatal(err)
		}
	}
	if opt.LearningRate() != 0.02 || out.Len() != 0 {
		t.Errorf("at min_lr: rate %v, printed %q; want 0.02 and nothing", opt.LearningRate(), out.String())
	}
}

// TestLearningRateSchedulerVerbose: Verbose 1 prints Keras's line each
// epoch, Verbose 0 nothing.
func TestLearningRateSchedulerVerbose(t *testing.T) {
	for _, verbose := range []int{0, 1} {
		m := tinyModel(t, &SGDOptimizer{LR: 0.1})
		var out bytes.Buffer
		c := LearningRateScheduler(func(_ int, lr float32) float32 { return lr / 2 })
		c.Verbose = verbose
		c.SetModel(m)
		c.SetParams(Params{Out: &out})
		if err := c.OnTrainBegin(Logs{}); err != nil {
			t.Fatal(err)
		}
		if err := c.OnEpochBegin(0, Logs{}); err != nil {
			t.Fatal(err)
		}
		want := ""
		if verbose == 1 {
			want = "\nEpoch 1: LearningRateScheduler setting learning rate to 0.05.\n"
		}
		if out.String() != want {
			t.Errorf("Verbose %d printed %q, want %q", verbose, out.String(), want)
		}
	}
}

// TestReduceLROnPlateauVerbose: Verbose 1 prints Keras's line when the
// rate drops, Verbose 0 nothing.
func TestReduceLROnPlateauVerbose(t *testing.T) {
	for _, verbose := range []int{0, 1} {
		m := tinyModel(t, &SGDOptimizer{LR: 0.1})
		var out bytes.Buffer
		c := &ReduceLROnPlateauCallback{Monitor: "loss", Factor: 0.5, Patience: 1, Verbose: verbose}
		c.SetModel(m)
		c.SetParams(Params{Out: &out})
		if err := c.OnTrainBegin(Logs{}); err != nil {
			t.Fatal(err)
		}
		for epoch := range 2 {
			if err := c.OnEpochEnd(epoch, Logs{"loss": 1}); err != nil {
				t.Fatal(err)
			}
		}
		want := ""
		if verbose == 1 {
			want = "\nEpoch 2: ReduceLROnPlateau reducing learning rate to 0.05.\n"
		}
		if out.String() != want {
			t.Errorf("Verbose %d printed %q, want %q", verbose, out.String(), want)
		}
	}
}

// TestLearningRateSchedulerRefusesZero: a schedule that gives a rate of 0
// is an error, as a negative or infinite one is.
func TestLearningRateSchedulerRefusesZero(t *testing.T) {
	m := tinyModel(t, &SGDOptimizer{LR: 0.1})
	c := LearningRateScheduler(func(int, float32) float32 { return 0 })
	c.SetModel(m)
	if err := c.OnTrainBegin(Logs{}); err != nil {
		t.Fatal(err)
	}
	wantErr(t, c.OnEpochBegin(0, Logs{}), "learning rate 0")
}
