package main

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/anvil-ml/anvil/nn"
)

// TestMetricsFlag checks -metrics end to end: the confusion metrics and a
// top-k accuracy appear in history.json for training and validation, and
// a run stopped mid-epoch and resumed from its checkpoint reports the same
// values as one uninterrupted run, which holds only if the checkpoint
// carries the epoch's counts so far (not just one sum per metric).
func TestMetricsFlag(t *testing.T) {
	dir := cifarDir(t)
	metrics := "precision,recall,auc(num_thresholds=50),f1_score(average=macro,threshold=0.2),top_k_categorical_accuracy(k=3)"
	args := func(out string) []string {
		return []string{"-model", "fnn", "-data", "cifar10", "-data-dir", dir, "-epochs", "2", "-limit-train", "96",
			"-limit-test", "32", "-batch-size", "16", "-backend", "cpu", "-verbose", "0", "-metrics", metrics, "-out", out}
	}
	whole, parts := t.TempDir(), t.TempDir()
	nn.ClearSession()
	if _, _, err := runTrain(t, context.Background(), args(whole)...); err != nil {
		t.Fatal(err)
	}
	nn.ClearSession()
	_, _, err := runTrain(t, &stopAfter{Context: context.Background(), n: 9}, args(parts)...)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("interrupted run: err %v", err)
	}
	nn.ClearSession()
	if _, _, err := runTrain(t, context.Background(), "-resume", parts, "-verbose", "0", "-data-dir", dir); err != nil {
		t.Fatal(err)
	}
	var hw, hp []epochRecord
	readJSON(t, filepath.Join(whole, "history.json"), &hw)
	readJSON(t, filepath.Join(parts, "history.json"), &hp)
	if len(hw) != 2 || len(hp) != 2 {
		t.Fatalf("history has %d and %d epochs, want 2", len(hw), len(hp))
	}
	for _, name := range []string{"precision", "recall", "auc", "f1_score", "top_k_categorical_accuracy"} {
		for _, key := range []string{name, "val_" + name} {
			v, ok := hw[1].Metrics[key]
			if !ok || v < 0 || v > 1 {
				t.Errorf("history.json %s = %v (present: %v), want a value in [0, 1]", key, v, ok)
			}
			for e := range hw {
				if hw[e].Metrics[key] != hp[e].Metrics[key] {
					t.Errorf("epoch %d %s: %v in one run, %v after resuming", e+1, key, hw[e].Metrics[key], hp[e].Metrics[key])
				}
			}
		}
	}
}

// TestMetricsFlagErrors checks that a bad -metrics names the flag.
func TestMetricsFlagErrors(t *testing.T) {
	nn.ClearSession()
	_, _, err := runTrain(t, context.Background(), "-model", "fnn", "-data", "cifar10", "-data-dir", cifarDir(t),
		"-epochs", "1", "-limit-train", "32", "-limit-test", "32", "-backend", "cpu", "-verbose", "0",
		"-metrics", "precision,f1_score", "-out", t.TempDir())
	if err == nil || !strings.Contains(err.Error(), "-metrics") || !strings.Contains(err.Error(), "average=macro") {
		t.Errorf("error %v, want one naming -metrics and the fix", err)
	}
}
