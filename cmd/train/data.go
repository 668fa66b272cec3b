package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"

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
// CIFAR-10 where found, else Fashion-MNIST where found (saying so), else
// CIFAR-10, downloaded. An explicit -data-dir is the only place looked.
func loadData(o *options, log io.Writer) (*dataset, error) {
	if o.model == "linreg" && o.data == "" {
		return linregData(), nil
	}
	name := o.data
	if name == "" {
		var err error
		if name, err = defaultDataName(o.dataDir, log); err != nil {
			return nil, err
		}
	}
	d := &dataset{name: name}
	var err error
	if name == "csv" {
		d.train, d.test, err = loadCSV(o)
	} else {
		d.train, d.test, err = loadNamed(name, o.dataDir, log)
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

// loadNamed loads a data set by name, downloading it where it is not found
// and no -data-dir is given, with the progress bar on log. Ctrl-C stops a
// download, leaving nothing behind.
func loadNamed(name, dir string, log io.Writer) (train, test *datasets.Set, err error) {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return datasets.Load(ctx, name, dir, log)
}

// defaultDataName picks the data set when -data is not given: CIFAR-10
// where it is found, else Fashion-MNIST. With -data-dir, one of them must
// be there.
func defaultDataName(dir string, log io.Writer) (string, error) {
	_, cifarErr := datasets.Locate("cifar10", dir)
	if cifarErr == nil {
		return "cifar10", nil
	}
	if _, err := datasets.Locate("fashion-mnist", dir); err == nil {
		fmt.Fprintln(log, "CIFAR-10 not found; training on Fashion-MNIST instead (pass -data-dir or set ANVIL_DATA to use CIFAR-10)")
		return "fashion-mnist", nil
	}
	if dir != "" {
		return "", fmt.Errorf("-data-dir %s holds neither CIFAR-10 nor Fashion-MNIST (name the data set with -data): %w", dir, cifarErr)
	}
	return "cifar10", nil
}

// loadCSV reads -data-dir as a CSV file with -csv-test as its test set, or
// holds out a fifth of its rows, drawn with -seed, as the test set.
func loadCSV(o *options) (train, test *datasets.Set, err error) {
	if o.dataDir == "" {
		return nil, nil, fmt.Errorf("-data csv needs -data-dir FILE.csv")
	}
	opts := datasets.CSVOptions{LabelColumn: o.csvLabel, LabelIndex: -1, Classification: o.csvClasses, Standardize: true}
	if o.csvTest != "" {
		return datasets.LoadCSVTrainTest(filepath.Clean(o.dataDir), filepath.Clean(o.csvTest), opts)
	}
	return datasets.LoadCSVHoldOut(filepath.Clean(o.dataDir), opts, o.seed)
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
