package datasets_test

import (
	"context"
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/anvil-ml/anvil/cpuref"
	"github.com/anvil-ml/anvil/datasets"
	"github.com/anvil-ml/anvil/nn"
	"github.com/anvil-ml/anvil/tensor"
)

// blobsCSV is n rows of three features whose class (of 3) is the largest.
func blobsCSV(n int) string {
	rng := tensor.NewStream(3, 0)
	var b strings.Builder
	b.WriteString("a,b,c,class\n")
	for i := range n {
		c := i % 3
		v := [3]float64{rng.Float64(), rng.Float64(), rng.Float64()}
		v[c] += 1
		fmt.Fprintf(&b, "%.3f,%.3f,%.3f,%d\n", v[0], v[1], v[2], c)
	}
	return b.String()
}

func blobModel(t *testing.T, loss string) *nn.Model {
	t.Helper()
	nn.ClearSession()
	nn.SetRandomSeed(8)
	m, err := nn.NewSequential(nn.Dense(6, nn.WithInputShape(3), nn.WithActivation("relu")), nn.Dense(3, nn.WithActivation("softmax")))
	if err != nil {
		t.Fatal(err)
	}
	if err := m.SetBackend(cpuref.New()); err != nil {
		t.Fatal(err)
	}
	if err := m.Compile(nn.Adam(0.01), loss, "accuracy"); err != nil {
		t.Fatal(err)
	}
	return m
}

// TestSparseLabelsTrainWithSparseLoss: a loaded set's labels train a
// sparse_categorical_crossentropy model the same way whether given as the
// SparseLabels tensor or as nn.Data's Labels (bit for bit), and as the
// one-hot targets train a categorical_crossentropy one (the same loss,
// computed from other targets).
func TestSparseLabelsTrainWithSparseLoss(t *testing.T) {
	set, err := datasets.ReadCSV(strings.NewReader(blobsCSV(90)), "blobs.csv", datasets.CSVOptions{LabelColumn: "class", Classification: true})
	if err != nil {
		t.Fatal(err)
	}
	y := set.SparseLabels()
	if y.Shape[0] != 90 || y.Shape[1] != 1 || y.Data[4] != float32(set.Labels[4]) {
		t.Fatalf("SparseLabels = %v %v..., labels %v...", y.Shape, y.Data[:5], set.Labels[:5])
	}
	if (&datasets.Set{X: set.X}).SparseLabels() != nil {
		t.Error("a set without labels has sparse labels")
	}
	o := nn.FitOptions{Verbose: nn.Silent, Epochs: 3, BatchSize: 16, Seed: 2}
	fit := func(loss string, d nn.Data) *nn.History {
		h, err := blobModel(t, loss).FitData(context.Background(), d, o)
		if err != nil {
			t.Fatal(err)
		}
		return h
	}
	x := []*tensor.Tensor{set.X}
	asTensor := fit("sparse_categorical_crossentropy", nn.Data{X: x, Y: y})
	asLabels := fit("sparse_categorical_crossentropy", nn.Data{X: x, Labels: set.Labels})
	oneHot := fit("categorical_crossentropy", nn.Data{X: x, Y: set.OneHot()})
	for i, l := range asTensor.Metrics["loss"] {
		if asLabels.Metrics["loss"][i] != l {
			t.Errorf("epoch %d: loss %v from Labels, %v from SparseLabels", i+1, asLabels.Metrics["loss"][i], l)
		}
		if d := math.Abs(oneHot.Metrics["loss"][i] - l); d > 1e-5 {
			t.Errorf("epoch %d: sparse loss %v, categorical %v", i+1, l, oneHot.Metrics["loss"][i])
		}
	}
}
