package main

import (
	"fmt"
	"io"
	"path/filepath"

	"github.com/anvil-ml/anvil/datasets"
	"github.com/anvil-ml/anvil/nn"
	"github.com/anvil-ml/anvil/tensor"
)

// dataset is what a run trains and tests on.
type dataset struct {
	name        string
	train, test *datasets.Set
}

// loadData reads the data the flags ask for. With no -data it picks
// CIFAR-10 where found and Fashion-MNIST otherwise, and says which.
func loadData(o *options, log io.Writer) (*dataset, error) {
	if o.model == "linreg" && o.data == "" {
		return linregData(), nil
	}
	name := o.data
	if name == "" {
		name = "cifar10"
		if _, err := datasets.Locate("cifar10", o.dataDir); err != nil {
			name = "fashion-mnist"
			fmt.Fprintln(log, "CIFAR-10 not found; training on Fashion-MNIST instead (pass -data-dir or set ANVIL_DATA to use CIFAR-10)")
		}
	}
	d := &dataset{name: name}
	var err error
	if name == "csv" {
		d.train, d.test, err = loadCSV(o)
	} else {
		d.train, d.test, err = datasets.Load(name, o.dataDir)
	}
	if err != nil {
		return nil, err
	}
	if o.limitTrain > 0 {
		d.train = d.train.Subset(o.limitTrain)
	}
	if o.limitTest > 0 {
		d.test = d.test.Subset(o.limitTest)
	}
	return d, nil
}

// loadCSV reads -data-dir as a CSV file and holds out its last fifth as the
// test set.
func loadCSV(o *options) (train, test *datasets.Set, err error) {
	if o.dataDir == "" {
		return nil, nil, fmt.Errorf("-data csv needs -data-dir FILE.csv")
	}
	opts := datasets.CSVOptions{LabelColumn: o.csvLabel, LabelIndex: -1, Classification: o.csvClasses, Standardize: true}
	all, err := datasets.LoadCSV(filepath.Clean(o.dataDir), opts)
	if err != nil {
		return nil, nil, err
	}
	n := all.Len()
	if n < 5 {
		return nil, nil, fmt.Errorf("%s: %d rows are too few to split into training and test sets", o.dataDir, n)
	}
	cut := n - n/5
	return sliceSet(all, 0, cut), sliceSet(all, cut, n), nil
}

// sliceSet returns rows lo..hi of s, sharing memory.
func sliceSet(s *datasets.Set, lo, hi int) *datasets.Set {
	out := *s
	row := s.X.RowSize()
	out.X = &tensor.Tensor{Shape: append(tensor.Shape{hi - lo}, s.X.Shape[1:]...), Data: s.X.Data[lo*row : hi*row]}
	if s.Labels != nil {
		out.Labels = s.Labels[lo:hi]
	}
	if s.Targets != nil {
		tr := s.Targets.RowSize()
		out.Targets = &tensor.Tensor{Shape: append(tensor.Shape{hi - lo}, s.Targets.Shape[1:]...), Data: s.Targets.Data[lo*tr : hi*tr]}
	}
	return &out
}

// linregData is the tutorial's six points on y = 2x − 1, used for both
// training and testing as the tutorial does.
func linregData() *dataset {
	x, _ := tensor.FromData([]float32{-1, 0, 1, 2, 3, 4}, 6, 1)
	y, _ := tensor.FromData([]float32{-3, -1, 1, 3, 5, 7}, 6, 1)
	s := &datasets.Set{X: x, Targets: y, Source: "the tutorial's six points"}
	return &dataset{name: "linreg", train: s, test: s}
}

// modelData is s as the model takes it: the features (images as bytes),
// and class labels, checked against the model's classes, or the
// regression targets.
func modelData(s *datasets.Set, classes int) (nn.Data, error) {
	var d nn.Data
	if s.Images != nil {
		d.Bytes = []*tensor.Bytes{s.Images}
	} else {
		d.X = []*tensor.Tensor{s.X}
	}
	if s.Labels == nil {
		d.Y = s.Targets
		return d, nil
	}
	for i, l := range s.Labels {
		if l < 0 || l >= classes {
			return nn.Data{}, fmt.Errorf("%s: label %d of sample %d does not fit a model with %d classes", s.Source, l, i, classes)
		}
	}
	d.Labels = s.Labels
	return d, nil
}
