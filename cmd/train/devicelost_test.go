package main

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/anvil-ml/anvil/gpu"
	"github.com/anvil-ml/anvil/internal/faults"
	"github.com/anvil-ml/anvil/nn"
)

// A GPU lost in the middle of a run (issue 10): train stops with an error
// that says what happened and how to continue, the checkpoint of the last
// whole epoch stays intact, and -resume finishes the run from it.
func TestDeviceLostMidRunResumes(t *testing.T) {
	dir := cifarDir(t)
	args := func(out, epochs string) []string {
		return []string{"-model", "fnn", "-data", "cifar10", "-data-dir", dir, "-epochs", epochs, "-limit-train", "128",
			"-limit-test", "16", "-batch-size", "32", "-backend", "vulkan", "-verbose", "0", "-validation=false", "-out", out}
	}
	// A one-epoch run counts the submissions up to its end; the same
	// count into a three-epoch run lands after the first epoch's
	// checkpoint and before the run ends, whatever Fit submits per step.
	nn.ClearSession()
	before := faults.Submissions()
	_, _, err := runTrain(t, context.Background(), args(t.TempDir(), "1")...)
	if errors.Is(err, gpu.ErrUnavailable) && os.Getenv("ANVIL_REQUIRE_VULKAN") != "1" {
		t.Skipf("no Vulkan (set ANVIL_REQUIRE_VULKAN=1 to fail instead): %v", err)
	}
	if err != nil {
		t.Fatal(err)
	}
	oneEpoch := int(faults.Submissions() - before)

	out := t.TempDir()
	nn.ClearSession()
	t.Cleanup(func() { faults.FailSubmitAfter(0, faults.None) })
	faults.FailSubmitAfter(oneEpoch+1, faults.DeviceLost)
	_, _, err = runTrain(t, context.Background(), args(out, "3")...)
	faults.FailSubmitAfter(0, faults.None)
	// main prints "train: " and the error, and exits with status 1.
	if err == nil {
		t.Fatal("the run with a lost device succeeded")
	}
	for _, want := range []string{"VK_ERROR_DEVICE_LOST", "checkpoints already written are intact", "train -resume DIR"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
	if _, err := os.Stat(filepath.Join(out, "model.safetensors")); err == nil {
		t.Error("the failed run wrote a final model")
	}
	latest, err := latestCheckpoint(out)
	if err != nil {
		t.Fatalf("no checkpoint survived the lost device: %v", err)
	}
	_, c, err := nn.LoadCheckpoint(latest)
	if err != nil {
		t.Fatalf("checkpoint %s does not load: %v", latest, err)
	}
	if c.Epoch < 1 || c.Epoch >= 3 || c.Step != 0 {
		t.Fatalf("checkpoint %s is at epoch %d step %d; want a whole epoch before the last", latest, c.Epoch, c.Step)
	}

	nn.ClearSession()
	if _, _, err := runTrain(t, context.Background(), "-resume", out, "-verbose", "0", "-data-dir", dir); err != nil {
		t.Fatalf("-resume after the lost device: %v", err)
	}
	var h []map[string]any
	readJSON(t, filepath.Join(out, "history.json"), &h)
	if len(h) != 3 {
		t.Errorf("history.json after resuming holds %d epochs, want 3", len(h))
	}
	if _, err := nn.LoadModel(out); err != nil {
		t.Errorf("the resumed run's model: %v", err)
	}
}
