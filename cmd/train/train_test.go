package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/anvil-ml/anvil/datasets"
	"github.com/anvil-ml/anvil/nn"
)

// cifarDir is the real CIFAR-10 the tests train on, found as train finds
// it without -data-dir ($ANVIL_DATA and the default places). The tests never
// download it.
func cifarDir(t *testing.T) string {
	t.Helper()
	dir, err := datasets.Locate("cifar10", "")
	if err != nil {
		t.Fatalf("CIFAR-10 not found: %v\nTo fix: set %s to a folder holding cifar-10-batches-bin (for example ../shared/data), "+
			"or let train download it once: go run ./cmd/train -data cifar10 -epochs 1 -limit-train 32 -limit-test 32",
			err, datasets.EnvDataDir)
	}
	return dir
}

func runTrain(t *testing.T, ctx context.Context, args ...string) (string, string, error) {
	t.Helper()
	var out, errOut bytes.Buffer
	if _, ok := ctx.(*stopAfter); ok {
		// stopAfter counts context checks as steps: one per submission.
		stepsPerExecution = 1
		defer func() { stepsPerExecution = 0 }()
	}
	err := run(ctx, args, &out, &errOut)
	return out.String(), errOut.String(), err
}

func TestSummaryOfEveryReferenceModel(t *testing.T) {
	want := map[string]string{"linreg": "Total params: 2\n", "fnn": "Total params: 646,260\n",
		"simple-cnn": "Total params: 15,120\n", "cnn": "Total params: 592,554\n"}
	for model, total := range want {
		nn.ClearSession()
		out, _, err := runTrain(t, context.Background(), "-model", model, "-summary")
		if err != nil {
			t.Fatalf("%s: %v", model, err)
		}
		if !strings.Contains(out, total) {
			t.Errorf("-model %s -summary lacks %q:\n%s", model, total, out)
		}
	}
}

func TestBadFlagsAreClearErrors(t *testing.T) {
	cases := map[string][]string{
		"-epochs 0":                              {"-epochs", "0"},
		`-optimizer "adagrad"`:                   {"-optimizer", "adagrad"},
		`-backend "tpu"`:                         {"-backend", "tpu"},
		`-data "imagenet"`:                       {"-data", "imagenet"},
		`unknown model "vgg"`:                    {"-model", "vgg", "-summary"},
		"unexpected argument":                    {"extra"},
		"-lr NaN: must be a finite number":       {"-lr", "NaN", "-summary"},
		"-lr +Inf: must be a finite number":      {"-lr", "Inf", "-summary"},
		"-lr 1e+39: must be a finite number":     {"-lr", "1e39", "-summary"},
		"-lr 0: must be positive":                {"-lr", "0", "-summary"},
		"-lr -0.1: must be positive":             {"-lr", "-0.1", "-summary"},
		"-lr 1e-50 rounds to 0 in float32":       {"-lr", "1e-50", "-summary"},
		"give one of them":                       {"-resume", "x", "-overwrite"},
		"inside -out x, which -overwrite clears": {"-model", "x/model.json", "-out", "x", "-overwrite"},
	}
	for want, args := range cases {
		_, _, err := runTrain(t, context.Background(), args...)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("args %v: error %v, want one containing %q", args, err, want)
		}
	}
}

func readJSON(t *testing.T, path string, v any) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

// A short FNN run on real CIFAR-10 must learn well above chance (10%) and
// write every output the issue lists.
func TestShortCIFARRunWritesEverything(t *testing.T) {
	out := t.TempDir()
	nn.ClearSession()
	_, _, err := runTrain(t, context.Background(), "-model", "fnn", "-data", "cifar10", "-data-dir", cifarDir(t),
		"-epochs", "2", "-limit-train", "3000", "-limit-test", "1000", "-backend", "cpu", "-verbose", "0", "-out", out)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"history.json", "metrics.json", "model.json", "model.safetensors", "history.png", "predictions.png"} {
		if st, err := os.Stat(filepath.Join(out, f)); err != nil || st.Size() == 0 {
			t.Errorf("%s missing or empty: %v", f, err)
		}
	}
	var m map[string]any
	readJSON(t, filepath.Join(out, "metrics.json"), &m)
	for _, k := range []string{"test_loss", "test_accuracy", "backend", "device", "images_per_second", "epochs", "seed"} {
		if _, ok := m[k]; !ok {
			t.Errorf("metrics.json lacks %q", k)
		}
	}
	// The run is deterministic (0.294 with the default seed). With seeds 1
	// to 4 it gave 0.281 to 0.326 (mean 0.306, standard deviation 0.021):
	// 0.24 is three deviations below the mean, so a legitimate change that
	// acts like a new seed (initialisation, summation order) passes, while
	// training that learns at half speed, or not at all (chance is 0.1),
	// fails.
	if acc := m["test_accuracy"].(float64); acc < 0.24 {
		t.Errorf("test accuracy %.3f after 2 epochs on 3000 images; want ≥ 0.24 (0.28–0.33 is typical)", acc)
	}
	var h []map[string]any
	readJSON(t, filepath.Join(out, "history.json"), &h)
	if len(h) != 2 || h[1]["val_accuracy"] == nil || h[1]["seconds"] == nil {
		t.Errorf("history.json: %v", h)
	}
	cps, _ := os.ReadDir(filepath.Join(out, checkpointsDir))
	if len(cps) != 2 {
		t.Errorf("%d checkpoints, want one per epoch", len(cps))
	}
}

// stopAfter cancels after n context checks: Fit checks once per
// submission, which runTrain makes one step.
type stopAfter struct {
	context.Context
	calls, n int
}

func (c *stopAfter) Err() error {
	c.calls++
	if c.calls > c.n {
		return context.Canceled
	}
	return nil
}

// Stopping mid-epoch and resuming from the checkpoint must end with the
// same weights, bit for bit, as one uninterrupted run.
func TestInterruptAndResumeMatchesOneRun(t *testing.T) {
	dir := cifarDir(t)
	args := func(out string) []string {
		return []string{"-model", "cnn", "-data", "cifar10", "-data-dir", dir, "-epochs", "2", "-limit-train", "96",
			"-limit-test", "32", "-batch-size", "16", "-backend", "cpu", "-verbose", "0", "-validation=false", "-out", out}
	}
	whole, parts := t.TempDir(), t.TempDir()
	nn.ClearSession()
	if _, _, err := runTrain(t, context.Background(), args(whole)...); err != nil {
		t.Fatal(err)
	}
	nn.ClearSession()
	_, stderr, err := runTrain(t, &stopAfter{Context: context.Background(), n: 8}, args(parts)...)
	if !errors.Is(err, context.Canceled) || !strings.Contains(stderr, "train -resume "+parts) {
		t.Fatalf("interrupted run: err %v, stderr %q", err, stderr)
	}
	nn.ClearSession()
	if _, _, err := runTrain(t, context.Background(), "-resume", parts, "-verbose", "0", "-data-dir", dir); err != nil {
		t.Fatal(err)
	}
	a, err := nn.LoadModel(whole)
	if err != nil {
		t.Fatal(err)
	}
	b, err := nn.LoadModel(parts)
	if err != nil {
		t.Fatal(err)
	}
	wa, _ := a.GetWeights()
	wb, _ := b.GetWeights()
	for i := range wa {
		for j := range wa[i].Data {
			if wa[i].Data[j] != wb[i].Data[j] {
				t.Fatalf("weight %d[%d] differs after resume: %v vs %v", i, j, wa[i].Data[j], wb[i].Data[j])
			}
		}
	}
}
