package nn

import (
	"context"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/anvil-ml/anvil/format/safetensors"
	"github.com/anvil-ml/anvil/tensor"
)

// images returns n random 6×6×2 images and sparse labels of 3 classes.
func images(n int) (x, y *tensor.Tensor) {
	x, y = tensor.New(n, 6, 6, 2), tensor.New(n, 1)
	rng := tensor.NewStream(7, 1)
	for i := range x.Data {
		x.Data[i] = float32(rng.Float64()*2 - 1)
	}
	for i := 0; i < n; i++ {
		y.Data[i] = float32(i % 3)
		x.Data[i*72] += y.Data[i] // something to learn
	}
	return x, y
}

// trainedCNN is a small Conv2D + BatchNormalization + Dense model after a
// little training, so that weights and moving statistics are not their
// initial values.
func trainedCNN(t *testing.T) (*Model, *tensor.Tensor) {
	t.Helper()
	ClearSession()
	m, err := NewSequential(Conv2D(4, 3, WithInputShape(6, 6, 2), WithPadding("same"), WithActivation("relu")),
		BatchNormalization(), LeakyReLU(), MaxPooling2D(), Flatten(), Dense(3, WithActivation("softmax")))
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Compile(Adam(0.01), "sparse_categorical_crossentropy", "accuracy"); err != nil {
		t.Fatal(err)
	}
	x, y := images(40)
	if _, err := m.Fit(context.Background(), x, y, FitOptions{Epochs: 2, BatchSize: 8, Seed: 3}); err != nil {
		t.Fatal(err)
	}
	return m, x
}

func sameBits(t *testing.T, what string, a, b []float32) {
	t.Helper()
	if len(a) != len(b) {
		t.Fatalf("%s: %d values vs %d", what, len(a), len(b))
	}
	for i := range a {
		if math.Float32bits(a[i]) != math.Float32bits(b[i]) {
			t.Fatalf("%s[%d]: %v vs %v", what, i, a[i], b[i])
		}
	}
}

func TestSaveLoadPredictsBitIdentically(t *testing.T) {
	m, x := trainedCNN(t)
	want, err := m.Predict(x, 16)
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "saved")
	if err := SaveModel(m, dir); err != nil {
		t.Fatal(err)
	}
	loaded, err := LoadModel(dir)
	if err != nil {
		t.Fatal(err)
	}
	got, err := loaded.Predict(x, 16)
	if err != nil {
		t.Fatal(err)
	}
	sameBits(t, "prediction", want.Data, got.Data)
	ws, _ := m.GetWeights()
	lws, _ := loaded.GetWeights()
	for i := range ws {
		sameBits(t, m.Variables()[i].Name, ws[i].Data, lws[i].Data)
	}
	f, err := safetensors.ReadFile(filepath.Join(dir, ModelWeightsFile))
	if err != nil {
		t.Fatal(err)
	}
	if f.Metadata["format"] != "anvil" || f.Metadata["version"] != FormatVersion || f.Tensors["batch_normalization/moving_variance"] == nil {
		t.Errorf("weights file: metadata %v, %d tensors", f.Metadata, len(f.Tensors))
	}
}

func TestDamagedOrMismatchedModelFilesAreClearErrors(t *testing.T) {
	m, _ := trainedCNN(t)
	good := filepath.Join(t.TempDir(), "good")
	if err := SaveModel(m, good); err != nil {
		t.Fatal(err)
	}
	other, _ := NewSequential(Dense(2, WithInputShape(3)))
	otherDir := filepath.Join(t.TempDir(), "other")
	if err := SaveModel(other, otherDir); err != nil {
		t.Fatal(err)
	}
	f, _ := safetensors.ReadFile(filepath.Join(good, ModelWeightsFile))
	// reweigh writes the weights with one change and no architecture hash,
	// as another tool might.
	reweigh := func(edit func(ts map[string]*tensor.Tensor)) func(dir string) {
		return func(dir string) {
			ts := map[string]*tensor.Tensor{}
			for k, v := range f.Tensors {
				ts[k] = v
			}
			edit(ts)
			data, err := encodeTensors(ts, nil)
			if err != nil {
				t.Fatal(err)
			}
			os.WriteFile(filepath.Join(dir, ModelWeightsFile), data, 0o644)
		}
	}
	cases := []struct {
		name   string
		damage func(dir string)
		want   []string
	}{
		{"truncated weights", func(dir string) {
			p := filepath.Join(dir, ModelWeightsFile)
			data, _ := os.ReadFile(p)
			os.WriteFile(p, data[:len(data)-10], 0o644)
		}, []string{ModelWeightsFile, "damaged"}},
		{"bad JSON", func(dir string) { os.WriteFile(filepath.Join(dir, ModelJSONFile), []byte(`{"class_name": `), 0o644) },
			[]string{ModelJSONFile, "not valid JSON"}},
		{"other architecture", func(dir string) {
			data, _ := os.ReadFile(filepath.Join(otherDir, ModelJSONFile))
			os.WriteFile(filepath.Join(dir, ModelJSONFile), data, 0o644)
		}, []string{ModelWeightsFile, "different model.json", "save the model again"}},
		{"wrong shape", reweigh(func(ts map[string]*tensor.Tensor) { ts["dense/bias"] = tensor.New(4) }),
			[]string{ModelWeightsFile, `"dense/bias"`, "(4,)", "(3,)"}},
		{"missing tensor", reweigh(func(ts map[string]*tensor.Tensor) { delete(ts, "conv2d/kernel") }),
			[]string{ModelWeightsFile, `"conv2d/kernel"`, "different model"}},
		{"extra tensor", reweigh(func(ts map[string]*tensor.Tensor) { ts["dense_9/kernel"] = tensor.New(1) }),
			[]string{ModelWeightsFile, `"dense_9/kernel"`, "not a weight"}},
		{"missing directory", func(dir string) { os.RemoveAll(dir) }, []string{ModelJSONFile}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "m")
			if err := SaveModel(m, dir); err != nil {
				t.Fatal(err)
			}
			c.damage(dir)
			_, err := LoadModel(dir)
			wantErr(t, err, c.want...)
		})
	}
}
