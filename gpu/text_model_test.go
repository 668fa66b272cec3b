package gpu_test

import (
	"context"
	"io"
	"math"
	"os"
	"testing"

	"github.com/anvil-ml/anvil/cpuref"
	"github.com/anvil-ml/anvil/nn"
	"github.com/anvil-ml/anvil/selftest"
	"github.com/anvil-ml/anvil/tensor"
)

// TestKerasTextModelParity trains the Keras text classifier of nn's
// fixture (Embedding, Conv1D, MaxPooling1D, GlobalAveragePooling1D, Dense)
// from the same weights on the CPU and on Vulkan for 12 steps (batch 8,
// epochs of 20 samples ending short), within the self-test's whole-model
// tolerances.
func TestKerasTextModelParity(t *testing.T) {
	b := openModelBackend(t)
	src, err := os.ReadFile("../nn/testdata/keras/text_cnn_sequential_tf2.json")
	if err != nil {
		t.Fatal(err)
	}
	x, y := tensor.New(20, 20), tensor.New(20, 4)
	rng := tensor.NewStream(3, 0)
	for i := range 20 {
		class := rng.Intn(4)
		y.Data[i*4+class] = 1
		for j := range 20 {
			x.Data[i*20+j] = float32(rng.Intn(1000))
			if j%4 == 0 {
				x.Data[i*20+j] = float32(class*5 + rng.Intn(5))
			}
		}
	}
	var hist [2]*nn.History
	var weights [2][]*tensor.Tensor
	var init []*tensor.Tensor
	for i, be := range []tensor.Backend{cpuref.New(), b} {
		nn.ClearSession()
		m, err := nn.ModelFromJSON(src)
		if err != nil {
			t.Fatal(err)
		}
		if init == nil {
			init, err = m.GetWeights()
		} else {
			err = m.SetWeights(init)
		}
		if err == nil {
			err = m.SetBackend(be)
		}
		if err == nil {
			err = m.Compile(nn.Adam(selftest.ModelLR), "categorical_crossentropy", "accuracy")
		}
		if err == nil {
			hist[i], err = m.Fit(context.Background(), x, y, nn.FitOptions{BatchSize: 8, Epochs: 4, Seed: 5, Out: io.Discard})
		}
		if err == nil {
			weights[i], err = m.GetWeights()
		}
		if cerr := m.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			t.Fatalf("%s: %v", be.Name(), err)
		}
	}
	checkMessages(t, b)
	cpu, gpu := hist[0].Metrics["loss"], hist[1].Metrics["loss"]
	for e := range cpu {
		if d := math.Abs(gpu[e] - cpu[e]); !(d <= selftest.LossRel*math.Abs(cpu[e])) {
			t.Errorf("epoch %d loss: cpu %v, gpu %v", e, cpu[e], gpu[e])
		}
	}
	worst, rms, where := selftest.WeightDiffs(weights[0], weights[1])
	t.Logf("loss cpu %.6f gpu %.6f; weights max |gpu−cpu| %.3g (%s), rms %.3g", cpu, gpu, worst, where, rms)
	if !(worst <= selftest.MaxWeightDiff) || !(rms <= selftest.RMSWeightDiff) {
		t.Errorf("weights differ: max %g at %s, rms %g", worst, where, rms)
	}
	if !(cpu[len(cpu)-1] < cpu[0]) {
		t.Errorf("the loss did not fall (%v): the run does not exercise training", cpu)
	}
}
