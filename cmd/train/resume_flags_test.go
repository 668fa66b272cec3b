package main

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/anvil-ml/anvil/nn"
)

// -lr and -optimizer given with -resume take effect and are recorded
// truthfully in metrics.json and in the checkpoint's metadata and state.
func TestResumeAppliesLearningRateAndOptimizer(t *testing.T) {
	out := t.TempDir()
	nn.ClearSession()
	if _, _, err := runTrain(t, context.Background(), linregArgs(out, "-epochs", "2")...); err != nil {
		t.Fatal(err)
	}
	steps := []struct {
		args    []string
		opt     string
		lr      float32
		meta    string
		metaLR  string
		message string
	}{
		{[]string{"-epochs", "3", "-lr", "0.1", "-optimizer", "sgd"}, "SGD", 0.1, "sgd", "0.1", "optimizer SGD (learning rate 0.1) replaces Adam"},
		{[]string{"-epochs", "4", "-lr", "0.05"}, "SGD", 0.05, "sgd", "0.05", "learning rate 0.05 replaces 0.1"},
		{[]string{"-epochs", "5", "-optimizer", "rmsprop"}, "RMSprop", 0.001, "rmsprop", "0.001", "optimizer RMSprop (learning rate 0.001)"},
		{[]string{"-epochs", "6"}, "RMSprop", 0.001, "rmsprop", "0.001", ""},
	}
	for i, s := range steps {
		nn.ClearSession()
		_, stderr, err := runTrain(t, context.Background(), append([]string{"-resume", out, "-verbose", "0"}, s.args...)...)
		if err != nil {
			t.Fatalf("%v: %v", s.args, err)
		}
		if !strings.Contains(stderr, s.message) {
			t.Errorf("%v: stderr lacks %q:\n%s", s.args, s.message, stderr)
		}
		var m runMetrics
		readJSON(t, filepath.Join(out, "metrics.json"), &m)
		if m.Optimizer != s.opt || m.LearningRate != s.lr {
			t.Errorf("%v: metrics.json records %s at %v, want %s at %v", s.args, m.Optimizer, m.LearningRate, s.opt, s.lr)
		}
		model, c, err := nn.LoadCheckpoint(filepath.Join(out, checkpointsDir, checkpointName(3+i, 0)))
		if err != nil {
			t.Fatal(err)
		}
		if opt := model.Optimizer(); opt.Name() != s.opt || opt.LearningRate() != s.lr {
			t.Errorf("%v: the checkpoint's optimizer is %s at %v, want %s at %v", s.args, opt.Name(), opt.LearningRate(), s.opt, s.lr)
		}
		if c.Meta["optimizer"] != s.meta || c.Meta["lr"] != s.metaLR {
			t.Errorf("%v: the checkpoint's metadata records -optimizer %s -lr %s", s.args, c.Meta["optimizer"], c.Meta["lr"])
		}
	}
}

// Flags that would make a different run are refused with -resume; a
// batch size may change only at an epoch boundary.
func TestResumeRefusesFlagsThatMakeAnotherRun(t *testing.T) {
	out := t.TempDir()
	nn.ClearSession()
	_, _, err := runTrain(t, &stopAfter{Context: context.Background(), n: 1}, linregArgs(out, "-epochs", "2", "-batch-size", "2")...)
	var stop *nn.Interrupted
	if !errors.As(err, &stop) || stop.Step != 1 {
		t.Fatalf("interrupting the run: %v", err)
	}
	for flag, args := range map[string][]string{
		`-model fnn differs from the run's "linreg"`:                           {"-model", "fnn"},
		`-seed 9 differs from the run's "1"`:                                   {"-seed", "9"},
		"-batch-size 3: the run stopped in epoch 1 after 1 steps of 2 samples": {"-batch-size", "3"},
	} {
		nn.ClearSession()
		_, _, err := runTrain(t, context.Background(), append([]string{"-resume", out, "-verbose", "0"}, args...)...)
		if err == nil || !strings.Contains(err.Error(), flag) {
			t.Errorf("-resume with %v: error %v, want one containing %q", args, err, flag)
		}
	}
	nn.ClearSession()
	if _, _, err := runTrain(t, context.Background(), "-resume", out, "-verbose", "0", "-epochs", "1", "-model", "linreg"); err != nil {
		t.Fatalf("resume with the same -model: %v", err)
	}
	nn.ClearSession()
	if _, _, err := runTrain(t, context.Background(), "-resume", out, "-verbose", "0", "-epochs", "2", "-batch-size", "3"); err != nil {
		t.Fatalf("a new batch size at an epoch boundary: %v", err)
	}
	var m runMetrics
	readJSON(t, filepath.Join(out, "metrics.json"), &m)
	if m.BatchSize != 3 || m.Model != "linreg" {
		t.Errorf("metrics.json records batch size %d and model %q, want 3 and linreg", m.BatchSize, m.Model)
	}
}
