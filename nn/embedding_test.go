package nn

import (
	"context"
	"strings"
	"testing"

	"github.com/anvil-ml/anvil/tensor"
)

// indexTensor returns n samples of positions indices in 0..vocab-1 that
// use every row, several times.
func indexTensor(n, positions, vocab int) *tensor.Tensor {
	x := tensor.New(n, positions)
	for i := range x.Data {
		x.Data[i] = float32((i*3 + i/vocab) % vocab)
	}
	return x
}

func embeddingModel(t *testing.T, vocab int) *Model {
	t.Helper()
	in := Input(4)
	x := Embedding(vocab, 3).Call(in)
	x = Flatten().Call(x)
	out := Dense(2, WithActivation("softmax")).Call(x)
	m, err := NewModel([]*Symbol{in}, out)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// TestGradientsOfEmbeddingModel checks the scatter-add gradient against
// finite differences; every table row is used, most of them twice or more.
func TestGradientsOfEmbeddingModel(t *testing.T) {
	ClearSession()
	m := embeddingModel(t, 5)
	if got := m.Layers()[1].OutputShape(); !got.Equal(tensor.Shape{4, 3}) {
		t.Fatalf("Embedding output %v, want (4, 3)", got)
	}
	if _, p := layerParams(m); p[1] != 15 {
		t.Errorf("Embedding(5, 3) has %d params, want Keras's 15", p[1])
	}
	// Scale the embeddings up from U(-0.05, 0.05) so the loss depends on
	// them well above float32 rounding.
	for _, v := range m.Layers()[1].Weights() {
		for i := range v.data {
			v.data[i] *= 20
		}
	}
	checkModelGradients(t, m, "categorical_crossentropy", indexTensor(6, 4, 5), oneHotRandom(2, 6, 2))
}

// TestEmbeddingRejectsBadIndices: an index out of range, negative or
// fractional is an error naming the sample, before any step runs.
func TestEmbeddingRejectsBadIndices(t *testing.T) {
	ClearSession()
	m := embeddingModel(t, 5)
	if err := m.Compile(SGD(), "categorical_crossentropy"); err != nil {
		t.Fatal(err)
	}
	for _, bad := range []float32{5, -1, 1.5} {
		x := indexTensor(3, 4, 5)
		x.Data[6] = bad
		_, err := m.Fit(context.Background(), x, oneHotRandom(2, 3, 2), FitOptions{Epochs: 1, BatchSize: 2})
		if err == nil || !strings.Contains(err.Error(), "at sample 1") || !strings.Contains(err.Error(), "0..4") {
			t.Errorf("index %v: Fit error %v, want one naming sample 1 and the range 0..4", bad, err)
		}
	}
	if _, err := m.Predict(indexTensor(2, 4, 7), 2); err == nil {
		t.Error("Predict took indices beyond input_dim")
	}
}

// TestEmbeddingMustTakeAModelInput: indices have no gradient, so an
// Embedding after another layer is refused.
func TestEmbeddingMustTakeAModelInput(t *testing.T) {
	ClearSession()
	in := Input(4)
	h := Dense(4).Call(in)
	out := Dense(1).Call(Flatten().Call(Embedding(5, 2).Call(h)))
	m, err := NewModel([]*Symbol{in}, out)
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Compile(SGD(), "mse"); err != nil {
		t.Fatal(err)
	}
	_, err = m.Fit(context.Background(), indexTensor(2, 4, 5), tensor.New(2, 1), FitOptions{Epochs: 1})
	if err == nil || !strings.Contains(err.Error(), "must take a model input") {
		t.Errorf("Fit error %v, want one saying the Embedding must take a model input", err)
	}
}

// TestEmbeddingKerasConfig reads Keras's config (its default initializer
// by the short name "uniform", tf.keras 2.x's input_length) and writes it
// back without input_length, which Keras 3 rejects and tf.keras 2.x
// defaults.
func TestEmbeddingKerasConfig(t *testing.T) {
	ClearSession()
	src := `{"class_name": "Sequential", "config": {"name": "seq", "layers": [
	 {"class_name": "InputLayer", "config": {"batch_input_shape": [null, 6], "dtype": "float32", "name": "ids"}},
	 {"class_name": "Embedding", "config": {"name": "emb", "trainable": true, "batch_input_shape": [null, 6],
	  "dtype": "float32", "input_dim": 100, "output_dim": 8, "embeddings_initializer": "uniform",
	  "embeddings_regularizer": null, "activity_regularizer": null, "embeddings_constraint": null,
	  "mask_zero": false, "input_length": 6}}]}}`
	m, err := ModelFromJSON([]byte(src))
	if err != nil {
		t.Fatal(err)
	}
	if _, p := layerParams(m); len(p) != 1 || p[0] != 800 || !m.OutputShape().Equal(tensor.Shape{6, 8}) {
		t.Fatalf("params %v, output %v; want [800], (6, 8)", p, m.OutputShape())
	}
	data, err := m.ToJSON()
	if err != nil {
		t.Fatal(err)
	}
	want := `"input_dim":100,"output_dim":8,"embeddings_initializer":{"class_name":"RandomUniform","config":{"minval":-0.05,"maxval":0.05,"seed":null}},"embeddings_regularizer":null,"activity_regularizer":null,"embeddings_constraint":null,"mask_zero":false`
	if !strings.Contains(string(data), want) {
		t.Errorf("ToJSON wrote\n%s\nwant it to hold\n%s", data, want)
	}
	bad := strings.Replace(src, `"mask_zero": false`, `"mask_zero": true`, 1)
	if _, err := ModelFromJSON([]byte(bad)); err == nil || !strings.Contains(err.Error(), "mask_zero") {
		t.Errorf("mask_zero true: error %v, want one naming mask_zero", err)
	}
}
