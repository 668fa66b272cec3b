package nn

import (
	"bytes"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/anvil-ml/anvil/tensor"
)

func readKeras(t *testing.T, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", "keras", name))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func loadKeras(t *testing.T, name string) *Model {
	t.Helper()
	m, err := ModelFromJSON(readKeras(t, name))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// layerParams lists each layer's name and parameter count.
func layerParams(m *Model) (names []string, params []int) {
	for _, l := range m.Layers() {
		n := 0
		for _, v := range l.Weights() {
			n += v.Shape.Size()
		}
		names, params = append(names, l.Name()), append(params, n)
	}
	return names, params
}

func TestKerasFilesLoadAsTheReferenceModels(t *testing.T) {
	ClearSession()
	cnn := loadKeras(t, "cifar_cnn_functional_tf2.json")
	if tr, nt := cnn.CountParams(); tr+nt != 592554 || nt != 640 {
		t.Errorf("reference CNN: %d trainable + %d non-trainable params, want 592,554 with 640 non-trainable", tr, nt)
	}
	if cnn.Name() != "model" || cnn.sequential || !cnn.OutputShape().Equal(tensor.Shape{10}) {
		t.Errorf("reference CNN: name %q, output %v", cnn.Name(), cnn.OutputShape())
	}

	mlp := loadKeras(t, "cifar_mlp_sequential_tf2.json")
	names, params := layerParams(mlp)
	if strings.Join(names, ",") != "flatten,dense,dense_1,dense_2" || params[1] != 614600 || params[2] != 30150 || params[3] != 1510 {
		t.Errorf("reference FNN: layers %v with params %v", names, params)
	}
	if mlp.inputs[0].node.layer.name != "flatten_input" || !mlp.sequential {
		t.Errorf("reference FNN: input %q", mlp.inputs[0].node.layer.name)
	}

	small := loadKeras(t, "small_cnn_sequential_keras20.json")
	_, params = layerParams(small)
	if len(params) != 4 || params[0] != 490 || params[1] != 1820 || params[3] != 12810 {
		t.Errorf("small CNN (Keras 2.0 layout): params %v, want [490 1820 0 12810]", params)
	}
	if got := small.Layers()[1].OutputShape(); !got.Equal(tensor.Shape{8, 8, 20}) {
		t.Errorf("small CNN: conv2d_2 output %v, want (8, 8, 20)", got)
	}
}

func TestKeras3FunctionalWithMergesPredicts(t *testing.T) {
	ClearSession()
	m := loadKeras(t, "merge_functional_keras3.json")
	if len(m.Inputs()) != 2 || !m.OutputShape().Equal(tensor.Shape{3}) {
		t.Fatalf("inputs %d, output %v", len(m.Inputs()), m.OutputShape())
	}
	a, b := tensor.New(5, 4), tensor.New(5, 4)
	for i := range a.Data {
		a.Data[i], b.Data[i] = float32(i)/10, 1-float32(i)/20
	}
	// Random weights, so that every input and weight reaches the output.
	ws, err := m.GetWeights()
	if err != nil {
		t.Fatal(err)
	}
	shapes := []tensor.Shape{{4, 4}, {4}, {8, 3}, {3}}
	if len(ws) != len(shapes) {
		t.Fatalf("%d weight arrays, want 4 (dense kernel, bias, dense_1 kernel, bias)", len(ws))
	}
	for i, w := range ws {
		if !w.Shape.Equal(shapes[i]) {
			t.Fatalf("weight %d has shape %v, want %v", i, w.Shape, shapes[i])
		}
		copy(w.Data, randomTensor(uint64(20+i), 1, w.Shape.Size()).Data)
	}
	if err := m.SetWeights(ws); err != nil {
		t.Fatal(err)
	}
	p, err := m.PredictInputs([]*tensor.Tensor{a, b}, 0)
	if err != nil {
		t.Fatal(err)
	}
	// The graph the JSON file describes, in float64: dense = relu(a·W1 +
	// b1); add = dense + b; concatenate = [add, a]; out = softmax(
	// concatenate·W2 + b2). A few float32 roundings of values of size ~1
	// stay far inside 1e-5.
	w1, b1, w2, b2 := ws[0].Data, ws[1].Data, ws[2].Data, ws[3].Data
	for n := 0; n < 5; n++ {
		cat := make([]float64, 8)
		for j := 0; j < 4; j++ {
			h := float64(b1[j])
			for i := 0; i < 4; i++ {
				h += float64(a.Data[n*4+i]) * float64(w1[i*4+j])
			}
			cat[j] = math.Max(h, 0) + float64(b.Data[n*4+j])
			cat[4+j] = float64(a.Data[n*4+j])
		}
		logits, sum := make([]float64, 3), 0.0
		for k := range logits {
			logits[k] = float64(b2[k])
			for i, v := range cat {
				logits[k] += v * float64(w2[i*3+k])
			}
			logits[k] = math.Exp(logits[k])
			sum += logits[k]
		}
		for k, e := range logits {
			if got := float64(p.Data[n*3+k]); math.Abs(got-e/sum) > 1e-5 {
				t.Errorf("prediction [%d,%d] = %v, want %v", n, k, got, e/sum)
			}
		}
	}
}

// sharedLayerModel calls one Dense layer twice, so its nodes need indices.
func sharedLayerModel(t *testing.T) *Model {
	in := Input(3)
	shared := Dense(3, WithActivation("tanh"))
	x := shared.Call(shared.Call(in))
	y := Concatenate().Call(x, in)
	m, err := NewModel([]*Symbol{in}, Dense(2, WithActivation("softmax")).Call(y))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestToJSONRoundTripsExactly(t *testing.T) {
	ClearSession()
	seq, err := NewSequential(Conv2D(4, 3, WithInputShape(8, 8, 1), WithStrides(2), WithPadding("same"), WithActivation("relu")),
		BatchNormalization(WithMomentum(0.9)), LeakyReLU(WithNegativeSlope(0.1)), MaxPooling2D(), Reshape([]int{-1, 4}),
		Flatten(), Dropout(0.25), Dense(3, WithUseBias(false), WithKernelInitializer("he_normal")), Softmax())
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range []*Model{seq, sharedLayerModel(t), loadKeras(t, "cifar_cnn_functional_tf2.json"),
		loadKeras(t, "merge_functional_keras3.json")} {
		first, err := m.ToJSON()
		if err != nil {
			t.Fatal(err)
		}
		back, err := ModelFromJSON(first)
		if err != nil {
			t.Fatalf("%s: %v\n%s", m.Name(), err, first)
		}
		second, err := back.ToJSON()
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(first, second) {
			t.Errorf("%s: JSON changed on a round trip:\n%s\n---\n%s", m.Name(), first, second)
		}
		if a, b := summaryOf(m), summaryOf(back); a != b {
			t.Errorf("%s: summary changed on a round trip:\n%s\n---\n%s", m.Name(), a, b)
		}
	}
}

func summaryOf(m *Model) string {
	var buf bytes.Buffer
	m.Summary(&buf)
	return buf.String()
}

func TestToJSONWritesKerasLayout(t *testing.T) {
	ClearSession()
	m, _ := NewSequential(Dense(2, WithInputShape(3), WithActivation("relu")), BatchNormalization())
	data, err := m.ToJSON()
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		ClassName string `json:"class_name"`
		Config    struct {
			Layers []struct {
				ClassName string         `json:"class_name"`
				Config    map[string]any `json:"config"`
			} `json:"layers"`
		} `json:"config"`
		Backend string `json:"backend"`
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	ls := doc.Config.Layers
	if doc.ClassName != "Sequential" || doc.Backend != "tensorflow" || len(ls) != 3 || ls[0].ClassName != "InputLayer" {
		t.Fatalf("layout:\n%s", data)
	}
	d := ls[1].Config
	if d["units"] != 2.0 || d["activation"] != "relu" || d["name"] != "dense" || d["kernel_regularizer"] != nil {
		t.Errorf("Dense config %v", d)
	}
	if ki := d["kernel_initializer"].(map[string]any); ki["class_name"] != "GlorotUniform" {
		t.Errorf("kernel_initializer %v", ki)
	}
	if bis := d["batch_input_shape"].([]any); len(bis) != 2 || bis[0] != nil || bis[1] != 3.0 {
		t.Errorf("batch_input_shape %v", bis)
	}
	if bn := ls[2].Config; bn["momentum"] != 0.99 || bn["epsilon"] != 0.001 || bn["axis"] != -1.0 {
		t.Errorf("BatchNormalization config %v", bn)
	}
}

func TestLoadedNamesAreReservedNotCounted(t *testing.T) {
	ClearSession()
	loadKeras(t, "cifar_mlp_sequential_tf2.json") // holds dense, dense_1, dense_2
	if got := Dense(1).Name(); got != "dense_3" {
		t.Errorf("a Dense after loading is %q, want dense_3 (skipping the loaded names)", got)
	}
	if got := Conv2D(1, 1).Name(); got != "conv2d" {
		t.Errorf("a Conv2D after loading is %q, want conv2d (the counter untouched)", got)
	}
	ClearSession()
	if got := Dense(1).Name(); got != "dense" {
		t.Errorf("after ClearSession a Dense is %q, want dense", got)
	}
}
