package nn

import (
	"context"
	"testing"
)

// TestSetLearningRate: every optimizer takes its rate the same way, and the
// rate it reports and saves is the one set.
func TestSetLearningRate(t *testing.T) {
	for _, opt := range []Optimizer{SGD(), Adam(0.001), RMSprop(0.001)} {
		opt.SetLearningRate(0.125)
		if got := opt.LearningRate(); got != 0.125 {
			t.Errorf("%s: LearningRate() = %v after SetLearningRate(0.125)", opt.Name(), got)
		}
		if got := opt.Config()["learning_rate"]; got != float32(0.125) {
			t.Errorf("%s: Config()[learning_rate] = %v, want 0.125", opt.Name(), got)
		}
	}
}

// TestEpochEndSeconds: OnEpochEnd gets each epoch's index, logs and the
// wall time History records for it.
func TestEpochEndSeconds(t *testing.T) {
	ClearSession()
	m, _ := NewSequential(Dense(1, WithInputShape(1)))
	if err := m.Compile(SGD(), "mse"); err != nil {
		t.Fatal(err)
	}
	x := mustTensor(t, []float32{1, 2, 3, 4}, 4, 1)
	var got []EpochEnd
	h, err := m.Fit(context.Background(), x, x, FitOptions{Epochs: 2, BatchSize: 2, OnEpochEnd: func(e EpochEnd) error {
		got = append(got, e)
		return nil
	}})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 {
		t.Fatalf("OnEpochEnd ran %d times, want 2", len(got))
	}
	for i, e := range got {
		if e.Epoch != i || e.Seconds <= 0 || e.Seconds != h.Seconds[i] || e.Logs["loss"] != h.Metrics["loss"][i] {
			t.Errorf("epoch %d: OnEpochEnd got %+v; History has seconds %v, loss %v", i, e, h.Seconds[i], h.Metrics["loss"][i])
		}
	}
}
