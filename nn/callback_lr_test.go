package nn

import (
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
