package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/anvil-ml/anvil/nn"
)

// TestCallbacksResumeExactly: a run with -early-stopping, -save-best and
// -lr-schedule plateau, interrupted twice and resumed with only -resume,
// ends as the unbroken run does, byte for byte: the final model, the best
// model, every epoch's values and the test results and final learning
// rate in metrics.json. The unbroken run (best val_loss at epoch 8, the
// rate cut after ten epochs without improvement at 18, the stop after
// twelve at 20) is interrupted inside epoch 14 and resumed from the end
// of epoch 13, with every callback counting epochs without improvement,
// and interrupted again inside epoch 19, after the cut. Resumed with a
// callback's counts started afresh, or from a checkpoint saved before the
// callbacks saw its epoch, the rate is cut later or the run stops later,
// and the final model differs.
func TestCallbacksResumeExactly(t *testing.T) {
	dir := cifarDir(t)
	args := func(out string) []string {
		return []string{"-model", "fnn", "-data", "cifar10", "-data-dir", dir, "-epochs", "24", "-limit-train", "256",
			"-limit-test", "64", "-lr", "0.002", "-backend", "cpu", "-verbose", "0",
			"-early-stopping", "12", "-save-best", "-lr-schedule", "plateau", "-out", out}
	}
	whole, parts := t.TempDir(), t.TempDir()
	nn.ClearSession()
	if _, _, err := runTrain(t, context.Background(), args(whole)...); err != nil {
		t.Fatal(err)
	}
	want := endOfRun(t, whole)
	if lr, _ := want.metrics["learning_rate"].(float64); len(want.history) != 20 || float32(lr) != float32(float64(float32(0.002))*0.1) {
		t.Fatalf("the unbroken run trained %d epochs and ended at learning rate %v: the test needs the stop at epoch 20 "+
			"and the cut to 0.0002 at 18", len(want.history), want.metrics["learning_rate"])
	}
	// Each sitting resumes where the one before stopped (8 steps an epoch);
	// the first is taken to have crashed before saving its interruption,
	// so the second resumes from the checkpoint of epoch 13, which the
	// epoch's end wrote.
	resume := []string{"-resume", parts, "-verbose", "0", "-data-dir", dir}
	for _, sitting := range []struct {
		args    []string
		steps   int // 0: to the end
		resumes string
	}{{args(parts), 13*8 + 3, ""}, {resume, 5*8 + 5, "epoch 14, step 0"}, {resume, 0, "epoch 19, step 5"}} {
		nn.ClearSession()
		var ctx context.Context = context.Background()
		if sitting.steps > 0 {
			ctx = &stopAfter{Context: ctx, n: sitting.steps}
		}
		_, stderr, err := runTrain(t, ctx, sitting.args...)
		if sitting.steps > 0 && !errors.Is(err, context.Canceled) || sitting.steps == 0 && err != nil {
			t.Fatalf("sitting %v: err %v\n%s", sitting.args, err, stderr)
		}
		if !strings.Contains(stderr, sitting.resumes) {
			t.Fatalf("sitting %v did not resume in %s:\n%s", sitting.args, sitting.resumes, stderr)
		}
		if sitting.resumes != "" {
			continue
		}
		if err := os.RemoveAll(filepath.Join(parts, checkpointsDir, checkpointName(13, 3))); err != nil {
			t.Fatal(err)
		}
	}
	got := endOfRun(t, parts)
	for _, f := range []string{"model.safetensors", filepath.Join(bestDir, "model.safetensors")} {
		if !bytes.Equal(got.files[f], want.files[f]) {
			t.Errorf("%s differs from the unbroken run's", f)
		}
	}
	if !reflect.DeepEqual(got.history, want.history) {
		t.Errorf("history after resuming:\n%v\nunbroken:\n%v", got.history, want.history)
	}
	if !reflect.DeepEqual(got.metrics, want.metrics) {
		t.Errorf("metrics.json after resuming:\n%v\nunbroken:\n%v", got.metrics, want.metrics)
	}
}

// runEnd is what a finished run leaves in its -out folder, less what
// differs between two runs of the same training (timings, run IDs).
type runEnd struct {
	files   map[string][]byte
	history []map[string]float64
	metrics map[string]any
}

func endOfRun(t *testing.T, out string) runEnd {
	t.Helper()
	e := runEnd{files: map[string][]byte{}}
	for _, f := range []string{"model.safetensors", filepath.Join(bestDir, "model.safetensors")} {
		data, err := os.ReadFile(filepath.Join(out, f))
		if err != nil {
			t.Fatal(err)
		}
		e.files[f] = data
	}
	var h []epochRecord
	readJSON(t, filepath.Join(out, "history.json"), &h)
	for _, rec := range h {
		e.history = append(e.history, rec.Metrics)
	}
	readJSON(t, filepath.Join(out, "metrics.json"), &e.metrics)
	for _, k := range []string{"images_per_second", "finished", "run_id"} {
		delete(e.metrics, k)
	}
	return e
}

// TestCallbackResumeNotices: a checkpoint without callback state (that of
// an older train, or of a run without the callbacks) resumes, with a line
// saying the callback starts afresh; one turned off with -resume drops
// its state with a line; and -validation given with -resume may not
// change what a callback with kept progress watches.
func TestCallbackResumeNotices(t *testing.T) {
	out := t.TempDir()
	train := func(args ...string) (string, error) {
		t.Helper()
		nn.ClearSession()
		_, stderr, err := runTrain(t, context.Background(), append(args, "-verbose", "0")...)
		return stderr, err
	}
	if _, err := train("-model", "linreg", "-epochs", "1", "-backend", "cpu", "-out", out); err != nil {
		t.Fatal(err)
	}
	stderr, err := train("-resume", out, "-epochs", "2", "-early-stopping", "5", "-lr-schedule", "plateau")
	if err != nil {
		t.Fatal(err)
	}
	if want := "the checkpoint keeps no state of -early-stopping, -lr-schedule plateau (an older train saved it, or the run did not use it): it starts afresh"; !strings.Contains(stderr, want) {
		t.Errorf("resuming a checkpoint without callback state: stderr lacks %q:\n%s", want, stderr)
	}
	_, c, err := nn.LoadCheckpoint(filepath.Join(out, checkpointsDir, checkpointName(2, 0)))
	if err != nil {
		t.Fatal(err)
	}
	if c.KeptCallback(slotEarlyStopping) == "" || c.KeptCallback(slotPlateau) == "" || c.KeptCallback(slotSaveBest) != "" {
		t.Errorf("the resumed run's checkpoint keeps %q, %q, %q; want early stopping and plateau state only",
			c.KeptCallback(slotEarlyStopping), c.KeptCallback(slotSaveBest), c.KeptCallback(slotPlateau))
	}
	if c.Meta["early-stopping"] != "5" || c.Meta["lr-schedule"] != "plateau" {
		t.Errorf("the checkpoint's settings %v lack the callback flags", c.Meta)
	}
	if _, err := train("-resume", out, "-epochs", "3", "-validation=false"); err == nil ||
		!strings.Contains(err.Error(), "-validation=false would make -early-stopping watch another quantity") {
		t.Errorf("-validation=false with -resume of a run with -early-stopping: %v", err)
	}
	stderr, err = train("-resume", out, "-epochs", "3", "-lr-schedule=")
	if err != nil {
		t.Fatal(err)
	}
	if want := "resume: -lr-schedule plateau is off now: the state the checkpoint keeps of it goes unused"; !strings.Contains(stderr, want) {
		t.Errorf("turning -lr-schedule plateau off with -resume: stderr lacks %q:\n%s", want, stderr)
	}
	if strings.Contains(stderr, "afresh") {
		t.Errorf("the early stopping state was not restored:\n%s", stderr)
	}
}
