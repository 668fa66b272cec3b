package main

import (
	"context"
	"math"
	"path/filepath"
	"strings"
	"testing"

	"github.com/anvil-ml/anvil/nn"
)

// A short mixed-precision run on real CIFAR-10 trains, records its
// precision in metrics.json and reports a finite loss; an unknown
// precision is a clear error before any data is read. (How well mixed
// precision learns is nn's TestMixedFit and docs/MIXED_PRECISION.md; this
// run is kept short.)
func TestPrecisionMixedRun(t *testing.T) {
	if _, _, err := runTrain(t, context.Background(), "-precision", "half", "-summary"); err == nil ||
		!strings.Contains(err.Error(), `-precision "half": use float32 or mixed`) {
		t.Errorf("-precision half: error %v", err)
	}
	out := t.TempDir()
	nn.ClearSession()
	_, _, err := runTrain(t, context.Background(), "-model", "fnn", "-data", "cifar10", "-data-dir", cifarDir(t), "-precision", "mixed",
		"-epochs", "1", "-limit-train", "320", "-limit-test", "64", "-backend", "cpu", "-verbose", "0", "-out", out)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	readJSON(t, filepath.Join(out, "metrics.json"), &m)
	if m["precision"] != "mixed_float16" {
		t.Errorf("metrics.json precision %v, want mixed_float16", m["precision"])
	}
	if loss, ok := m["test_loss"].(float64); !ok || math.IsNaN(loss) || math.IsInf(loss, 0) || loss <= 0 {
		t.Errorf("test loss %v, want a finite positive number", m["test_loss"])
	}
}
