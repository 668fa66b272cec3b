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

// A run keeps the dtype policy its model was saved with unless -precision
// is given: -resume of a mixed run stays mixed (its checkpoint's loss
// scale), and -model with a saved mixed model (its model.json names
// mixed_float16 per layer) trains mixed; -precision float32 overrides it.
func TestPrecisionKeptFromSavedModel(t *testing.T) {
	precision := func(out string) string {
		var m map[string]any
		readJSON(t, filepath.Join(out, "metrics.json"), &m)
		s, _ := m["precision"].(string)
		return s
	}
	run := func(args ...string) {
		t.Helper()
		nn.ClearSession()
		if _, _, err := runTrain(t, context.Background(), args...); err != nil {
			t.Fatalf("%v: %v", args, err)
		}
	}
	lin := t.TempDir()
	run(linregArgs(lin, "-epochs", "1", "-precision", "mixed")...)
	run("-resume", lin, "-epochs", "2", "-verbose", "0")
	if p := precision(lin); p != nn.PolicyMixedFloat16 {
		t.Errorf("-resume of a mixed run without -precision trained %s, want %s", p, nn.PolicyMixedFloat16)
	}

	saved, cifar := t.TempDir(), []string{"-data", "cifar10", "-data-dir", cifarDir(t), "-epochs", "1", "-limit-train", "64",
		"-limit-test", "32", "-backend", "cpu", "-verbose", "0"}
	run(append([]string{"-model", "fnn", "-precision", "mixed", "-out", saved}, cifar...)...)
	for _, c := range []struct {
		flags []string
		want  string
	}{{nil, nn.PolicyMixedFloat16}, {[]string{"-precision", "float32"}, nn.PolicyFloat32}} {
		out := t.TempDir()
		run(append(append([]string{"-model", saved, "-out", out}, cifar...), c.flags...)...)
		if p := precision(out); p != c.want {
			t.Errorf("-model <saved mixed model> %v trained %s, want %s", c.flags, p, c.want)
		}
	}
}
