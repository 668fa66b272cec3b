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
	// Runs of one and two epochs count the submissions of setup plus the
	// final evaluation (n1 − e) and of one epoch (e = n2 − n1). In a run of
	// enough epochs, submission n1+1 then falls after the first epoch's
	// checkpoint and before training ends, however Fit groups its steps
	// into submissions.
	counts := make([]int, 2)
	for i := range counts {
		nn.ClearSession()
		before := faults.Submissions()
		_, _, err := runTrain(t, context.Background(), args(t.TempDir(), strconv.Itoa(i+1))...)
		if errors.Is(err, gpu.ErrUnavailable) && os.Getenv("ANVIL_REQUIRE_VULKAN") != "1" {
			t.Skipf("no Vulkan (set ANVIL_REQUIRE_VULKAN=1 to fail instead): %v", err)
		}
		if err != nil {
			t.Fatal(err)
		}
		counts[i] = int(faults.Submissions() - before)
	}
	perEpoch := counts[1] - counts[0]
	if perEpoch <= 0 {
		t.Fatalf("submissions of one and two epochs: %v", counts)
	}
	// Submission n1+1 is in epoch 2 or later, and within the training when
	// (epochs−1)·e ≥ fin+1, where the final evaluation's fin ≤ n1 − e:
	// epochs−1 = ⌊n1/e⌋ is enough.
	epochs := 1 + counts[0]/perEpoch
	t.Logf("submissions: %d for one epoch, %d for two; the fault hits submission %d of a %d-epoch run",
		counts[0], counts[1], counts[0]+1, epochs)

	out := t.TempDir()
	nn.ClearSession()
	t.Cleanup(func() { faults.FailSubmitAfter(0, faults.None) })
	faults.FailSubmitAfter(counts[0]+1, faults.DeviceLost)
	_, _, err := runTrain(t, context.Background(), args(out, strconv.Itoa(epochs))...)
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
	latest, _, c, err := loadNewestCheckpoint(out, "", io.Discard)
	if err != nil {
		t.Fatalf("no checkpoint survived the lost device: %v", err)
	}
	if c.Epoch < 1 || c.Epoch >= epochs || c.Step != 0 {
		t.Fatalf("checkpoint %s is at epoch %d step %d of %d; want a whole epoch before the last (submissions %v)",
			latest, c.Epoch, c.Step, epochs, counts)
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
