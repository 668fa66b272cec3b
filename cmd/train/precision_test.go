package main

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/anvil-ml/anvil/nn"
)

// A short mixed-precision FNN run on real CIFAR-10 learns as the float32
// one does and records its precision; an unknown precision is a clear
// error before any data is read.
func TestPrecisionMixedRun(t *testing.T) {
	if _, _, err := runTrain(t, context.Background(), "-precision", "half", "-summary"); err == nil ||
		!strings.Contains(err.Error(), `-precision "half": use float32 or mixed`) {
		t.Errorf("-precision half: error %v", err)
	}
	out := t.TempDir()
	nn.ClearSession()
	_, _, err := runTrain(t, context.Background(), "-model", "fnn", "-data", "cifar10", "-data-dir", cifarDir(t), "-precision", "mixed",
		"-epochs", "2", "-limit-train", "3000", "-limit-test", "1000", "-backend", "cpu", "-verbose", "0", "-out", out)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	readJSON(t, filepath.Join(out, "metrics.json"), &m)
	if m["precision"] != "mixed_float16" {
		t.Errorf("metrics.json precision %v, want mixed_float16", m["precision"])
	}
	// The same bound as the float32 run's (TestShortCIFARRunWritesEverything):
	// float16 operands change the sums about as much as another seed does.
	t.Logf("mixed precision: test accuracy %.3f", m["test_accuracy"])
	if acc := m["test_accuracy"].(float64); acc < 0.24 {
		t.Errorf("test accuracy %.3f after 2 epochs on 3000 images in mixed precision; want ≥ 0.24", acc)
	}
}
