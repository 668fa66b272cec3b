package main

import (
	"context"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/anvil-ml/anvil/nn"
)

// A run whose loss explodes but stays finite warns, on stderr and in
// metrics.json; a healthy run does not.
func TestDivergingRunWarns(t *testing.T) {
	for _, c := range []struct {
		lr   string
		warn bool
	}{{"0.2", true}, {"0.01", false}} {
		out := t.TempDir()
		nn.ClearSession()
		_, stderr, err := runTrain(t, context.Background(),
			linregArgs(out, "-optimizer", "sgd", "-lr", c.lr, "-batch-size", "1", "-epochs", "6", "-validation=false")...)
		if err != nil {
			t.Fatalf("-lr %s: %v", c.lr, err)
		}
		var m runMetrics
		readJSON(t, filepath.Join(out, "metrics.json"), &m)
		warned := strings.Contains(stderr, "warning: training is diverging")
		if warned != c.warn || (len(m.Warnings) > 0) != c.warn {
			t.Errorf("-lr %s: warned %v on stderr, metrics.json warnings %q; want warnings %v\n%s", c.lr, warned, m.Warnings, c.warn, stderr)
		}
	}
}

// When the loss becomes infinite, the run says in which epoch and step,
// writes no model, and keeps the last good checkpoint, which it names.
func TestNonFiniteLossKeepsTheLastGoodCheckpoint(t *testing.T) {
	out := t.TempDir()
	nn.ClearSession()
	_, _, err := runTrain(t, context.Background(),
		linregArgs(out, "-optimizer", "sgd", "-lr", "1", "-batch-size", "1", "-epochs", "40", "-validation=false")...)
	if err == nil {
		t.Fatal("a run at -lr 1 did not diverge")
	}
	root := filepath.Join(out, checkpointsDir)
	names, _ := checkpointNames(root)
	if len(names) == 0 {
		t.Fatal("no checkpoint kept")
	}
	for _, want := range []string{"training diverged", "in epoch ", " at step ", "no model was written",
		"last good checkpoint is " + filepath.Join(root, names[0])} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
	for _, f := range []string{"model.safetensors", "model.json", "metrics.json"} {
		if _, err := os.Stat(filepath.Join(out, f)); err == nil {
			t.Errorf("a diverged run wrote %s", f)
		}
	}
	m, _, err := nn.LoadCheckpoint(filepath.Join(root, names[0]))
	if err != nil {
		t.Fatal(err)
	}
	ws, _ := m.GetWeights()
	for _, w := range ws {
		for _, v := range w.Data {
			if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
				t.Fatalf("the last checkpoint %s holds the weight %v", names[0], v)
			}
		}
	}
}

// An epoch whose loss was finite but whose last update made the weights
// infinite is not checkpointed.
func TestInfiniteWeightsAreNotCheckpointed(t *testing.T) {
	out := t.TempDir()
	nn.ClearSession()
	_, _, err := runTrain(t, context.Background(),
		linregArgs(out, "-optimizer", "sgd", "-lr", "3e38", "-epochs", "3", "-validation=false")...)
	if err == nil || !strings.Contains(err.Error(), "the weights became +Inf at the end of epoch 1") ||
		!strings.Contains(err.Error(), "no checkpoint to go back to") {
		t.Fatalf("error %v", err)
	}
	if names, _ := checkpointNames(filepath.Join(out, checkpointsDir)); len(names) > 0 {
		t.Errorf("checkpoints of infinite weights: %v", names)
	}
}
