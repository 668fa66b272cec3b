package models

import (
	"bytes"
	"strings"
	"testing"

	"github.com/anvil-ml/anvil/nn"
)

type layerRow struct {
	name, shape string
	params      int
}

func checkModel(t *testing.T, m *nn.Model, rows []layerRow, total, nonTrainable int) {
	t.Helper()
	layers := m.Layers()
	if len(layers) != len(rows) {
		t.Fatalf("%d layers, want %d", len(layers), len(rows))
	}
	for i, l := range layers {
		params := 0
		for _, v := range l.Weights() {
			params += v.Shape.Size()
		}
		got := layerRow{l.Name() + " (" + l.ClassName() + ")", l.OutputShape().BatchString(), params}
		if got != rows[i] {
			t.Errorf("layer %d = %+v, want %+v", i, got, rows[i])
		}
	}
	tr, nt := m.CountParams()
	if tr+nt != total || nt != nonTrainable {
		t.Errorf("params total %d non-trainable %d, want %d and %d", tr+nt, nt, total, nonTrainable)
	}
}

func TestFNNMatchesKeras(t *testing.T) {
	nn.ClearSession()
	m, err := FNN()
	if err != nil {
		t.Fatal(err)
	}
	checkModel(t, m, []layerRow{
		{"input_1 (InputLayer)", "(None, 32, 32, 3)", 0},
		{"flatten (Flatten)", "(None, 3072)", 0},
		{"dense (Dense)", "(None, 200)", 614600},
		{"dense_1 (Dense)", "(None, 150)", 30150},
		{"dense_2 (Dense)", "(None, 10)", 1510},
	}, 646260, 0)
	var b bytes.Buffer
	m.Summary(&b)
	want := `Model: "model"
_________________________________________________________________
 Layer (type)                Output Shape              Param #   
=================================================================
 input_1 (InputLayer)        [(None, 32, 32, 3)]       0         
                                                                 
 flatten (Flatten)           (None, 3072)              0         
                                                                 
 dense (Dense)               (None, 200)               614600    
                                                                 
 dense_1 (Dense)             (None, 150)               30150     
                                                                 
 dense_2 (Dense)             (None, 10)                1510      
                                                                 
=================================================================
Total params: 646,260
Trainable params: 646,260
Non-trainable params: 0
_________________________________________________________________
`
	if b.String() != want {
		t.Errorf("summary:\n%s\nwant:\n%s", b.String(), want)
	}
}

func TestSimpleCNNMatchesKeras(t *testing.T) {
	nn.ClearSession()
	m, err := SimpleCNN()
	if err != nil {
		t.Fatal(err)
	}
	checkModel(t, m, []layerRow{
		{"input_1 (InputLayer)", "(None, 32, 32, 3)", 0},
		{"conv2d (Conv2D)", "(None, 16, 16, 10)", 490},
		{"conv2d_1 (Conv2D)", "(None, 8, 8, 20)", 1820},
		{"flatten (Flatten)", "(None, 1280)", 0},
		{"dense (Dense)", "(None, 10)", 12810},
	}, 15120, 0)
}

func TestCNNMatchesKeras(t *testing.T) {
	nn.ClearSession()
	m, err := CNN()
	if err != nil {
		t.Fatal(err)
	}
	rows := []layerRow{{"input_1 (InputLayer)", "(None, 32, 32, 3)", 0}}
	suffix := func(i int) string {
		if i == 0 {
			return ""
		}
		return "_" + string(rune('0'+i))
	}
	shapes := []string{"(None, 32, 32, 32)", "(None, 16, 16, 32)", "(None, 16, 16, 64)", "(None, 8, 8, 64)"}
	convParams := []int{896, 9248, 18496, 36928}
	bnParams := []int{128, 128, 256, 256}
	for i := range shapes {
		rows = append(rows,
			layerRow{"conv2d" + suffix(i) + " (Conv2D)", shapes[i], convParams[i]},
			layerRow{"batch_normalization" + suffix(i) + " (BatchNormalization)", shapes[i], bnParams[i]},
			layerRow{"leaky_re_lu" + suffix(i) + " (LeakyReLU)", shapes[i], 0})
	}
	rows = append(rows,
		layerRow{"flatten (Flatten)", "(None, 4096)", 0},
		layerRow{"dense (Dense)", "(None, 128)", 524416},
		layerRow{"batch_normalization_4 (BatchNormalization)", "(None, 128)", 512},
		layerRow{"leaky_re_lu_4 (LeakyReLU)", "(None, 128)", 0},
		layerRow{"dropout (Dropout)", "(None, 128)", 0},
		layerRow{"dense_1 (Dense)", "(None, 10)", 1290},
		layerRow{"activation (Activation)", "(None, 10)", 0})
	checkModel(t, m, rows, 592554, 640)
	var b bytes.Buffer
	m.Summary(&b)
	for _, want := range []string{"Total params: 592,554", "Trainable params: 591,914", "Non-trainable params: 640",
		" batch_normalization_4 (Batc  (None, 128)              512"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("summary lacks %q:\n%s", want, b.String())
		}
	}
}

func TestLinRegSummary(t *testing.T) {
	nn.ClearSession()
	m, err := LinReg()
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	m.Summary(&b)
	want := `Model: "sequential"
_________________________________________________________________
 Layer (type)                Output Shape              Param #   
=================================================================
 dense (Dense)               (None, 1)                 2         
                                                                 
=================================================================
Total params: 2
Trainable params: 2
Non-trainable params: 0
_________________________________________________________________
`
	if b.String() != want {
		t.Errorf("summary:\n%q\nwant:\n%q", b.String(), want)
	}
}
