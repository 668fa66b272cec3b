package gpu_test

import (
	"math/rand/v2"
	"testing"

	"github.com/anvil-ml/anvil/cpuref"
	"github.com/anvil-ml/anvil/nn"
	"github.com/anvil-ml/anvil/tensor"
)

// TestConfusionMetricsEvaluateParity evaluates the confusion metrics and
// the top-k accuracies through nn on both backends. The model is an
// identity Dense layer, whose output is exactly its input on both (each
// output is one product by 1 plus products by 0), so the counts behind the
// metrics, and so the metrics finished from them on the host, must be
// equal bit for bit. Predictions are quarters, many exactly on a
// threshold (with 9 AUC thresholds, on every bucket edge); 45 samples in batches of 8 end with a short batch.
func TestConfusionMetricsEvaluateParity(t *testing.T) {
	b := openModelBackend(t)
	const width, rows = 6, 45
	rng := rand.New(rand.NewPCG(5, 6))
	x, y := tensor.New(rows, width), tensor.New(rows, width)
	for i := range x.Data {
		x.Data[i] = float32(rng.IntN(5)) / 4
	}
	for r := 0; r < rows; r++ {
		y.Data[r*width+rng.IntN(width)] = 1
	}
	metrics := []string{"precision", "recall(thresholds=0.25, top_k=2)", "AUC(num_thresholds=9)", "f1_score(average=micro)",
		"top_k_categorical_accuracy(k=2)"}
	var res [2]nn.Results
	for i, be := range []tensor.Backend{cpuref.New(), b} {
		nn.ClearSession()
		m, err := nn.NewSequential(nn.Dense(width, nn.WithInputShape(width)))
		if err != nil {
			t.Fatal(err)
		}
		kernel, bias := tensor.New(width, width), tensor.New(width)
		for j := 0; j < width; j++ {
			kernel.Data[j*width+j] = 1
		}
		if err := m.SetWeights([]*tensor.Tensor{kernel, bias}); err != nil {
			t.Fatal(err)
		}
		if err := m.SetBackend(be); err != nil {
			t.Fatal(err)
		}
		if err := m.Compile(nn.SGD(), "mse", metrics...); err != nil {
			t.Fatal(err)
		}
		if res[i], err = m.Evaluate(x, y, 8); err != nil {
			t.Fatal(err)
		}
		if err := m.Close(); err != nil {
			t.Fatal(err)
		}
	}
	checkMessages(t, b)
	if len(res[0].Names) != len(metrics)+1 || len(res[1].Names) != len(metrics)+1 {
		t.Fatalf("results %v and %v, want the loss and %d metrics", res[0].Names, res[1].Names, len(metrics))
	}
	for j, name := range res[0].Names[1:] {
		cpu, gpu := res[0].Values[j+1], res[1].Values[j+1]
		if cpu != gpu {
			t.Errorf("%s: cpu %v, vulkan %v", name, cpu, gpu)
		}
	}
}
