package nn

import (
	"context"
	"io"
	"math"
	"strings"
	"testing"

	"github.com/anvil-ml/anvil/tensor"
)

// textData returns n sequences of 20 word indices below 1000 and one-hot
// labels of 4 classes that depend on which words occur, so that a text
// classifier can learn them.
func textData(n int) (x, y *tensor.Tensor) {
	x, y = tensor.New(n, 20), tensor.New(n, 4)
	rng := tensor.NewStream(5, 0)
	for i := range n {
		class := rng.Intn(4)
		y.Data[i*4+class] = 1
		for j := range 20 {
			w := rng.Intn(1000)
			if j%3 == 0 {
				w = class*10 + rng.Intn(10) // words that mark the class
			}
			x.Data[i*20+j] = float32(w)
		}
	}
	return x, y
}

// TestKerasTextModelLoadsAndTrains loads a hand-written tf.keras 2.15
// to_json of a text classifier (Embedding, Conv1D, MaxPooling1D,
// GlobalAveragePooling1D, Dense), checks Keras's shapes and parameter
// counts, writes it back as it was read, and trains it a few steps.
func TestKerasTextModelLoadsAndTrains(t *testing.T) {
	ClearSession()
	m := loadKeras(t, "text_cnn_sequential_tf2.json")
	names, params := layerParams(m)
	// Keras: Embedding 1000·16, Conv1D (5·16+1)·32, Dense (32+1)·4.
	want := []int{16000, 2592, 0, 0, 132}
	if strings.Join(names, ",") != "embedding,conv1d,max_pooling1d,global_average_pooling1d,dense" || len(params) != 5 {
		t.Fatalf("layers %v", names)
	}
	for i, w := range want {
		if params[i] != w {
			t.Errorf("%s: %d params, want %d", names[i], params[i], w)
		}
	}
	shapes := []tensor.Shape{{20, 16}, {16, 32}, {8, 32}, {32}, {4}}
	for i, l := range m.Layers() {
		if !l.OutputShape().Equal(shapes[i]) {
			t.Errorf("%s: output %v, want %v", names[i], l.OutputShape(), shapes[i])
		}
	}
	checkSummaryAndRoundTrip(t, m, "(None, 20, 16)", " 16000 ", " 2592 ", "(None, 8, 32)", "Total params: 18,724")

	if err := m.Compile(Adam(0.01), "categorical_crossentropy", "accuracy"); err != nil {
		t.Fatal(err)
	}
	x, y := textData(48)
	fitLossFalls(t, m, x, y, 4)
}

// fitLossFalls trains m on x, y for epochs epochs of batch 16 and checks
// that the last epoch's loss is below the first's.
func fitLossFalls(t *testing.T, m *Model, x, y *tensor.Tensor, epochs int) {
	t.Helper()
	h, err := m.Fit(context.Background(), x, y, FitOptions{Epochs: epochs, BatchSize: 16, Seed: 1, Out: io.Discard})
	if err != nil {
		t.Fatal(err)
	}
	loss := h.Metrics["loss"]
	if !(loss[len(loss)-1] < loss[0]) || math.IsNaN(loss[0]) {
		t.Errorf("loss per epoch %v: it did not fall", loss)
	}
}

// checkSummaryAndRoundTrip checks that m's Summary holds each of want and
// that ToJSON, read back and written again, gives the same text.
func checkSummaryAndRoundTrip(t *testing.T, m *Model, want ...string) {
	t.Helper()
	sum := summaryOf(m)
	for _, s := range want {
		if !strings.Contains(sum, s) {
			t.Errorf("Summary lacks %q:\n%s", s, sum)
		}
	}
	first, err := m.ToJSON()
	if err != nil {
		t.Fatal(err)
	}
	back, err := ModelFromJSON(first)
	if err != nil {
		t.Fatal(err)
	}
	if second, _ := back.ToJSON(); string(second) != string(first) {
		t.Errorf("ToJSON does not round-trip:\n%s\n%s", first, second)
	}
}
