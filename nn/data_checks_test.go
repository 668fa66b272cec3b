package nn

import (
	"context"
	"testing"

	"github.com/anvil-ml/anvil/tensor"
)

// TestInputChecksAtTheEdges puts the bad value or count at the first
// position, where an off-by-one in the checks would miss it.
func TestInputChecksAtTheEdges(t *testing.T) {
	m := twoInputClassifier(t)
	_, err := m.PredictInputs([]*tensor.Tensor{tensor.New(0, 2), tensor.New(3, 3)}, 0)
	wantErr(t, err, "input 1 has 3 samples, input 0 has 0")

	x := tensor.New(3, 2)
	x.Data[0] = float32(nanValue())
	_, err = m.PredictInputs([]*tensor.Tensor{x, tensor.New(3, 3)}, 0)
	wantErr(t, err, "input 0 holds NaN at sample 0")

	y := tensor.New(3, 2)
	y.Data[0] = float32(nanValue())
	_, err = m.FitInputs(context.Background(), []*tensor.Tensor{tensor.New(3, 2), tensor.New(3, 3)}, y, FitOptions{Verbose: Silent})
	wantErr(t, err, "labels hold NaN at sample 0")
}

// TestSparseLabelCheckNamesTheSample checks that a class index out of
// range is reported with its sample.
func TestSparseLabelCheckNamesTheSample(t *testing.T) {
	ClearSession()
	m, err := NewSequential(Dense(2, WithActivation("softmax"), WithInputShape(3)))
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Compile(Adam(0.1), "sparse_categorical_crossentropy"); err != nil {
		t.Fatal(err)
	}
	y := tensor.New(3, 1)
	copy(y.Data, []float32{0, 1, 5})
	_, err = m.Fit(context.Background(), tensor.New(3, 3), y, FitOptions{Verbose: Silent})
	wantErr(t, err, "label 5 of sample 2 is not a class index in 0..1")
}

// TestByteDataChecksAtTheEdges is TestInputChecksAtTheEdges for byte
// inputs and class labels (Data.Bytes, Data.Labels).
func TestByteDataChecksAtTheEdges(t *testing.T) {
	m := twoInputClassifier(t)
	_, err := m.PredictData(Data{Bytes: []*tensor.Bytes{newBytes(0, 2), newBytes(3, 3)}}, 0)
	wantErr(t, err, "input 1 has 3 samples, input 0 has 0")

	d := Data{Bytes: []*tensor.Bytes{newBytes(3, 2), newBytes(3, 3)}, Labels: []int{0, 1, 2}}
	_, err = m.FitData(context.Background(), d, FitOptions{Verbose: Silent})
	wantErr(t, err, "label 2 of sample 2 is not a class index in 0..1")
}

func newBytes(rows, size int) *tensor.Bytes {
	return &tensor.Bytes{Shape: tensor.Shape{rows, size}, Data: make([]uint8, rows*size)}
}

// TestEmbeddingIndicesOfTheSecondInput checks the indices of an Embedding
// that takes a model's second input, not its first.
func TestEmbeddingIndicesOfTheSecondInput(t *testing.T) {
	ClearSession()
	a, b := Input(2), Input(3)
	e := Flatten().Call(Embedding(4, 2).Call(b))
	out := Dense(2, WithActivation("softmax")).Call(Concatenate().Call(a, e))
	m, err := NewModel([]*Symbol{a, b}, out)
	if err != nil {
		t.Fatal(err)
	}
	x0, x1 := tensor.New(2, 2), tensor.New(2, 3)
	x0.Data[0] = 7 // not an index, but input 0 is no Embedding's
	x1.Data[4] = 4
	_, err = m.PredictInputs([]*tensor.Tensor{x0, x1}, 0)
	wantErr(t, err, "input 1 holds 4 at sample 1", "indices must be whole numbers in 0..3")
	x1.Data[4] = 3
	if _, err := m.PredictInputs([]*tensor.Tensor{x0, x1}, 0); err != nil {
		t.Fatal(err)
	}
}

// TestDropoutDrawsArguments checks DropoutDraws' argument errors.
func TestDropoutDrawsArguments(t *testing.T) {
	ClearSession()
	m, err := NewSequential(Dropout(0.5, WithInputShape(3)))
	if err != nil {
		t.Fatal(err)
	}
	_, err = m.DropoutDraws(1, 1, 0)
	wantErr(t, err, "rows 0 and step 1 must be positive")
	_, err = m.DropoutDraws(1, 0, 2)
	wantErr(t, err, "rows 2 and step 0 must be positive")
	d, err := m.DropoutDraws(1, 1, 1)
	if err != nil || len(d) != 1 || len(d[0]) != 3 {
		t.Fatalf("DropoutDraws(rows 1) = %v, %v; want one slice of 3 draws", d, err)
	}
}

// twoInputClassifier is a compiled two-class model of two inputs, of 2 and
// 3 values per sample.
func twoInputClassifier(t *testing.T) *Model {
	t.Helper()
	ClearSession()
	a, b := Input(2), Input(3)
	out := Dense(2, WithActivation("softmax")).Call(Concatenate().Call(a, b))
	m, err := NewModel([]*Symbol{a, b}, out)
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Compile(Adam(0.1), "categorical_crossentropy"); err != nil {
		t.Fatal(err)
	}
	return m
}

// TestLabelChecksNameTheSampleOfManyValues reports a bad label of a
// sample with several label values (a one-hot row, a class index per
// position) by its sample, not its position in the data.
func TestLabelChecksNameTheSampleOfManyValues(t *testing.T) {
	m := twoInputClassifier(t)
	y := tensor.New(3, 2)
	y.Data[5] = float32(nanValue()) // sample 2's second value
	_, err := m.FitInputs(context.Background(), []*tensor.Tensor{tensor.New(3, 2), tensor.New(3, 3)}, y, FitOptions{Verbose: Silent})
	wantErr(t, err, "labels hold NaN at sample 2")

	ClearSession()
	seq, err := NewSequential(Dense(2, WithActivation("softmax"), WithInputShape(4, 3))) // a class per position
	if err != nil {
		t.Fatal(err)
	}
	if err := seq.Compile(Adam(0.1), "sparse_categorical_crossentropy"); err != nil {
		t.Fatal(err)
	}
	idx := tensor.New(3, 4)
	idx.Data[6] = 5 // sample 1, position 2
	_, err = seq.Fit(context.Background(), tensor.New(3, 4, 3), idx, FitOptions{Verbose: Silent})
	wantErr(t, err, "label 5 of sample 1 is not a class index in 0..1")
}
