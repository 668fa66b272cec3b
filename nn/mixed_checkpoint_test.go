package nn

import (
	"context"
	"path/filepath"
	"testing"
)

// TestMixedCheckpointKeepsLossScale: a checkpoint of a mixed-precision
// model holds its policy and dynamic loss scale (scale, finite-step count,
// growth interval), so the loaded model continues with them, and a run
// resumed from it trains exactly as the uninterrupted one.
func TestMixedCheckpointKeepsLossScale(t *testing.T) {
	x := mustTensor(t, []float32{-1, 0, 1, 2, 3, 4}, 6, 1)
	y := mustTensor(t, []float32{-3, -1, 1, 3, 5, 7}, 6, 1)
	o := FitOptions{Verbose: Silent, Epochs: 4, BatchSize: 3, NoShuffle: true}
	build := func() *Model {
		ClearSession()
		m, err := NewSequential(Dense(1, WithInputShape(1)))
		if err != nil {
			t.Fatal(err)
		}
		if err := m.CompileWith(SGD(), "mse", nil, WithLossScale(1024, 3)); err != nil {
			t.Fatal(err)
		}
		return m
	}
	whole := build()
	if _, err := whole.Fit(context.Background(), x, y, o); err != nil {
		t.Fatal(err)
	}
	half := build()
	o.Epochs = 2
	if _, err := half.Fit(context.Background(), x, y, o); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "ckpt")
	if err := half.SaveCheckpoint(dir, Checkpoint{Epoch: 2}); err != nil {
		t.Fatal(err)
	}
	resumed, _, err := LoadCheckpoint(dir)
	if err != nil {
		t.Fatal(err)
	}
	want, _ := half.LossScale()
	got, _ := resumed.LossScale()
	if resumed.Precision() != PolicyMixedFloat16 || got != want || want == 1024 {
		t.Fatalf("loaded: policy %s, loss scale %v; want %s and %v (which the first epochs moved from 1024)",
			resumed.Precision(), got, PolicyMixedFloat16, want)
	}
	if resumed.compiled.mixed.scale != half.compiled.mixed.scale || resumed.compiled.mixed.growthSteps != 3 {
		t.Errorf("loaded loss-scale state %v (growth %d), want %v (growth 3)",
			resumed.compiled.mixed.scale, resumed.compiled.mixed.growthSteps, half.compiled.mixed.scale)
	}
	o.Epochs, o.InitialEpoch = 4, 2
	if _, err := resumed.Fit(context.Background(), x, y, o); err != nil {
		t.Fatal(err)
	}
	if !sameWeights(weightsOf(t, whole), weightsOf(t, resumed)) {
		t.Errorf("resumed weights %v, uninterrupted %v", flatWeights(t, resumed), flatWeights(t, whole))
	}
}
