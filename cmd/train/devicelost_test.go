package main

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strconv"
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
	// The fault hits the first submission after the first epoch's
	// checkpoint is complete: the second epoch's training, whatever the
	// run's timing (the progress monitor's reads add submissions, so a
	// count of them cannot aim it).
	const epochs = 3
	out := t.TempDir()
	firstCheckpoint := filepath.Join(out, checkpointsDir, "epoch-0001", "checkpoint.json")
	nn.ClearSession()
	t.Cleanup(func() { faults.FailSubmitAfter(0, faults.None) })
	faults.FailSubmitWhen(func() bool { _, err := os.Stat(firstCheckpoint); return err == nil }, faults.DeviceLost)
	_, _, err := runTrain(t, context.Background(), args(out, strconv.Itoa(epochs))...)
	faults.FailSubmitAfter(0, faults.None)
	if errors.Is(err, gpu.ErrUnavailable) && os.Getenv("ANVIL_REQUIRE_VULKAN") != "1" {
		t.Skipf("no Vulkan (set ANVIL_REQUIRE_VULKAN=1 to fail instead): %v", err)
	}
	// main prints "train: " and the error, and exits with status 1.
	if err == nil {
		t.Fatal("the run with a lost device succeeded")
	}
	for _, want := range []string{"VK_ERROR_DEVICE_LOST", "checkpoints already written are intact", "train -resume " + out} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
	if _, err := os.Stat(filepath.Join(out, "model.safetensors")); err == nil {
		t.Error("the failed run wrote a final model")
	}
	latest, _, c, err := loadNewestCheckpoint(out, "", io.Discard)
	if err != nil {
		t.Fatalf("no checkpoint survived the lost device: %v", err)
	}
	if c.Epoch < 1 || c.Epoch >= epochs || c.Step != 0 {
		t.Fatalf("checkpoint %s is at epoch %d step %d of %d; want a whole epoch before the last",
			latest, c.Epoch, c.Step, epochs)
	}

	nn.ClearSession()
	if _, _, err := runTrain(t, context.Background(), "-resume", out, "-verbose", "0", "-data-dir", dir); err != nil {
		t.Fatalf("-resume after the lost device: %v", err)
	}
	var h []map[string]any
	readJSON(t, filepath.Join(out, "history.json"), &h)
	if len(h) != epochs {
		t.Errorf("history.json after resuming holds %d epochs, want %d", len(h), epochs)
	}
	if _, err := nn.LoadModel(out); err != nil {
		t.Errorf("the resumed run's model: %v", err)
	}
}
