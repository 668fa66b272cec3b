package nn

import (
	"bytes"
	"testing"
)

// TestEarlyStoppingRestoreKeepsCounting: saving the best weights does not
// end the epoch's bookkeeping: the first epoch can be the best one, and an
// improvement still restarts the wait.
func TestEarlyStoppingRestoreKeepsCounting(t *testing.T) {
	m := tinyModel(t, SGD())
	cases := []struct {
		name     string
		patience int
		vals     []float64
		stop     int
		best     int
	}{
		{"first epoch best", 1, []float64{0.5, 0.7, 0.8}, 1, 0},
		{"improvement resets the wait", 2, []float64{1, 0.5, 0.6, 0.55, 0.7}, 3, 1},
	}
	for _, tc := range cases {
		c := EarlyStopping()
		c.Patience, c.RestoreBestWeights = tc.patience, true
		stop := drive(t, m, c, "val_loss", tc.vals)
		if stop != tc.stop || c.BestEpoch != tc.best || kernel(t, m) != float32(tc.best) {
			t.Errorf("%s: stopped after epoch %d, best %d, kernel %v; want %d, %d, %d",
				tc.name, stop, c.BestEpoch, kernel(t, m), tc.stop, tc.best, tc.best)
		}
	}
}

// TestEarlyStoppingVerbose: with Verbose 1 it prints Keras's messages
// (1-based epochs) when it stops, and nothing when it does not.
func TestEarlyStoppingVerbose(t *testing.T) {
	m := tinyModel(t, SGD())
	run := func(vals []float64) string {
		var out bytes.Buffer
		c := EarlyStopping()
		c.Patience, c.Verbose, c.RestoreBestWeights = 1, 1, true
		c.SetModel(m)
		m.stopTraining = false
		c.SetParams(Params{Epochs: len(vals), Out: &out})
		if err := c.OnTrainBegin(Logs{}); err != nil {
			t.Fatal(err)
		}
		for epoch, v := range vals {
			if err := c.OnEpochEnd(epoch, Logs{"val_loss": v}); err != nil {
				t.Fatal(err)
			}
			if m.StopRequested() {
				break
			}
		}
		if err := c.OnTrainEnd(Logs{}); err != nil {
			t.Fatal(err)
		}
		return out.String()
	}
	want := "Epoch 3: early stopping\nRestoring model weights from the end of the best epoch: 2.\n"
	if got := run([]float64{1, 0.5, 0.9}); got != want {
		t.Errorf("stopped run printed %q, want %q", got, want)
	}
	want = "Restoring model weights from the end of the best epoch: 3.\n"
	if got := run([]float64{3, 2, 1}); got != want {
		t.Errorf("run that never stopped printed %q, want %q", got, want)
	}
}
