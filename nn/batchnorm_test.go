package nn

import (
	"context"
	"encoding/json"
	"math"
	"testing"
)

// TestBatchNormMovingVariance: one training step moves the moving
// statistics by Keras's rule, moving = momentum·moving + (1−momentum)·batch,
// where the batch variance is the biased one (tf.nn.moments) for a 2-D
// input and Bessel-corrected (n/(n−1), TensorFlow's fused kernel) for a 4-D
// one. The moving statistics come from the forward pass, before any update.
func TestBatchNormMovingVariance(t *testing.T) {
	x := []float32{1, 2, 4, 8} // one channel, four positions
	mean := (1.0 + 2 + 4 + 8) / 4
	var ss float64
	for _, v := range x {
		ss += (float64(v) - mean) * (float64(v) - mean)
	}
	const momentum = 0.9
	cases := []struct {
		name  string
		shape []int
		varB  float64
	}{
		{"dense input", []int{4, 1}, ss / 4},
		{"image input", []int{1, 2, 2, 1}, ss / 3},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ClearSession()
			m, err := NewSequential(BatchNormalization(WithMomentum(momentum), WithInputShape(c.shape[1:]...)))
			if err != nil {
				t.Fatal(err)
			}
			if err := m.Compile(&SGDOptimizer{LR: 1e-3}, "mse"); err != nil {
				t.Fatal(err)
			}
			xs := mustTensor(t, x, c.shape...)
			ys := mustTensor(t, make([]float32, 4), c.shape...)
			if _, err := m.Fit(context.Background(), xs, ys, FitOptions{Verbose: Silent, Epochs: 1, BatchSize: c.shape[0], NoShuffle: true}); err != nil {
				t.Fatal(err)
			}
			ws, err := m.GetWeights()
			if err != nil {
				t.Fatal(err)
			}
			// gamma, beta, moving_mean, moving_variance (Keras's order).
			wantMean := (1 - momentum) * mean
			wantVar := momentum*1 + (1-momentum)*c.varB
			if got := float64(ws[2].Data[0]); math.Abs(got-wantMean) > 1e-6*math.Abs(wantMean) {
				t.Errorf("moving mean %v, want %v", got, wantMean)
			}
			if got := float64(ws[3].Data[0]); math.Abs(got-wantVar) > 1e-6*wantVar {
				t.Errorf("moving variance %v, want %v", got, wantVar)
			}
		})
	}
}

// TestBatchNormRejectsOtherInitializers: a Keras config that initialises
// gamma with zeros is refused by name, not silently trained with ones.
func TestBatchNormRejectsOtherInitializers(t *testing.T) {
	zeros := map[string]any{"class_name": "Zeros", "config": map[string]any{}}
	_, err := ModelFromJSON(mutateKeras(t, "cifar_cnn_functional_tf2.json", setKey("batch_normalization", "gamma_initializer", zeros)))
	wantErr(t, err, `"batch_normalization"`, "gamma_initializer")
}

// TestSoftmaxConfigAxis: Softmax exports Keras's default axis, -1.
func TestSoftmaxConfigAxis(t *testing.T) {
	ClearSession()
	m, err := NewSequential(Dense(3, WithInputShape(2)), Softmax())
	if err != nil {
		t.Fatal(err)
	}
	data, err := m.ToJSON()
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Config struct {
			Layers []struct {
				ClassName string         `json:"class_name"`
				Config    map[string]any `json:"config"`
			} `json:"layers"`
		} `json:"config"`
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	for _, l := range doc.Config.Layers {
		if l.ClassName == "Softmax" && l.Config["axis"] != -1.0 {
			t.Errorf("Softmax axis %v, want -1", l.Config["axis"])
		}
	}
}
