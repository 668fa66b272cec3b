package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/anvil-ml/anvil/datasets"
)

// An explicit -data-dir that lacks the data is an error that names it,
// with or without -data, even where $ANVIL_DATA and the system folder hold
// data sets.
func TestEmptyDataDirIsAnError(t *testing.T) {
	empty := t.TempDir()
	for _, args := range [][]string{
		{"-model", "fnn", "-data-dir", empty},
		{"-model", "fnn", "-data", "fashion-mnist", "-data-dir", empty},
		{"-model", "fnn", "-data", "cifar10", "-data-dir", empty},
	} {
		_, _, err := runTrain(t, context.Background(), append(args, "-epochs", "1", "-limit-train", "8",
			"-limit-test", "8", "-backend", "cpu", "-verbose", "0")...)
		if !errors.Is(err, datasets.ErrNotFound) || !strings.Contains(err.Error(), empty) {
			t.Errorf("%v: error %v, want ErrNotFound naming %s", args, err, empty)
		}
	}
}

// writeTinyFashionMNIST writes a Fashion-MNIST folder of two 28×28 images
// per half, as gzipped IDX files.
func writeTinyFashionMNIST(t *testing.T, dir string) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	images := append([]byte{0, 0, 8, 3, 0, 0, 0, 2, 0, 0, 0, 28, 0, 0, 0, 28}, make([]byte, 2*28*28)...)
	labels := []byte{0, 0, 8, 1, 0, 0, 0, 2, 3, 7}
	for _, half := range []string{"train", "t10k"} {
		for name, data := range map[string][]byte{"-images-idx3-ubyte": images, "-labels-idx1-ubyte": labels} {
			if err := os.WriteFile(filepath.Join(dir, half+name), data, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// With -data-dir naming a Fashion-MNIST folder and no -data, train uses
// exactly that folder.
func TestDataDirWithoutDataName(t *testing.T) {
	dir := t.TempDir()
	writeTinyFashionMNIST(t, dir)
	o := &options{model: "fnn", dataDir: dir}
	var log strings.Builder
	d, err := loadData(o, &log)
	if err != nil {
		t.Fatal(err)
	}
	if d.name != "fashion-mnist" || d.train.Len() != 2 || !strings.Contains(d.train.Source, dir) {
		t.Errorf("got %s, %d samples from %s; want the 2 in %s", d.name, d.train.Len(), d.train.Source, dir)
	}
}

// The tests find CIFAR-10 as train does, from any working folder (a fresh
// clone anywhere): through $ANVIL_DATA.
func TestTestsFindCIFARAsTrainDoes(t *testing.T) {
	env := t.TempDir()
	want := filepath.Join(env, "cifar10")
	if err := os.Mkdir(want, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"data_batch_1.bin", "data_batch_2.bin", "data_batch_3.bin", "data_batch_4.bin",
		"data_batch_5.bin", "test_batch.bin", "batches.meta.txt"} {
		if err := os.WriteFile(filepath.Join(want, f), nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	t.Setenv(datasets.EnvDataDir, env)
	t.Chdir(t.TempDir())
	if got := cifarDir(t); got != want {
		t.Errorf("cifarDir = %q, want %q", got, want)
	}
}

// writeCSV writes content to a file in a temporary folder.
func writeCSV(t *testing.T, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "table.csv")
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// -csv-test reads the test set from its own file, with the classes numbered
// as in the training file; a class the training file lacks is an error.
func TestCSVTestFile(t *testing.T) {
	trainPath := writeCSV(t, "x,y\n0,cat\n1,dog\n0.1,cat\n0.9,dog\n")
	o, err := parseFlags([]string{"-data", "csv", "-data-dir", trainPath, "-csv-classes",
		"-csv-test", writeCSV(t, "x,y\n1,dog\n0,cat\n")}, os.Stderr)
	if err != nil {
		t.Fatal(err)
	}
	d, err := loadData(o, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if d.train.Len() != 4 || d.test.Len() != 2 || d.test.Labels[0] != 1 || d.test.Labels[1] != 0 {
		t.Errorf("train %d rows, test labels %v; want all 4 training rows and [1 0] (dog, cat)", d.train.Len(), d.test.Labels)
	}
	bad := writeCSV(t, "x,y\n1,dog\n0,bird\n")
	_, _, err = runTrain(t, context.Background(), "-model", "mlp", "-data", "csv", "-data-dir", trainPath, "-csv-classes",
		"-csv-test", bad, "-epochs", "1", "-backend", "cpu", "-verbose", "0")
	for _, want := range []string{bad + ":3:", `"bird"`, `"cat", "dog"`} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("unseen class: error %v, want one containing %q", err, want)
		}
	}
	if _, err := parseFlags([]string{"-csv-test", bad}, io.Discard); err == nil || !strings.Contains(err.Error(), "-data csv") {
		t.Errorf("-csv-test without -data csv: %v", err)
	}
}

// Without -csv-test, -seed draws the held-out fifth, and the standardizer
// is fitted on the training rows alone (their mean, not the table's).
func TestCSVHoldOutIsSeededAndDoesNotLeak(t *testing.T) {
	var b strings.Builder
	b.WriteString("x,y\n")
	for i := range 20 {
		fmt.Fprintf(&b, "%d,%d\n", i, i%2)
	}
	path := writeCSV(t, b.String())
	heldOut := func(seed string) []float32 {
		o, err := parseFlags([]string{"-data", "csv", "-data-dir", path, "-csv-classes", "-seed", seed}, io.Discard)
		if err != nil {
			t.Fatal(err)
		}
		d, err := loadData(o, io.Discard)
		if err != nil {
			t.Fatal(err)
		}
		s := d.train.Standardizer
		var sum float64
		for _, v := range d.train.X.Data {
			sum += float64(v*s.Std[0] + s.Mean[0])
		}
		if got, want := float64(s.Mean[0]), sum/float64(d.train.Len()); math.Abs(got-want) > 1e-4 || d.train.Len() != 16 {
			t.Errorf("seed %s: standardizer mean %v over %d training rows, want their mean %v", seed, got, d.train.Len(), want)
		}
		out := make([]float32, d.test.Len())
		for i, v := range d.test.X.Data {
			out[i] = float32(math.Round(float64(v*s.Std[0] + s.Mean[0])))
		}
		return out
	}
	a, again, other := heldOut("1"), heldOut("1"), heldOut("2")
	if !slices.Equal(a, again) || slices.Equal(a, other) {
		t.Errorf("held out %v, %v with seed 1 and %v with seed 2; want the same rows for the same seed only", a, again, other)
	}
}
