package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/anvil-ml/anvil/datasets"
	"github.com/anvil-ml/anvil/nn"
)

// TestCIFARAugmentRuns trains the example for two epochs on 512 CIFAR-10
// images: it must print its summary and a test line with an accuracy in
// [0, 1], and ModelCheckpoint must leave the best model on disk. The
// accuracy itself is measured with the full data (README), not here.
func TestCIFARAugmentRuns(t *testing.T) {
	if _, err := datasets.Locate("cifar10", ""); err != nil {
		t.Fatalf("CIFAR-10 is needed: set %s to a folder holding cifar-10-batches-bin: %v", datasets.EnvDataDir, err)
	}
	dir := t.TempDir()
	var out bytes.Buffer
	err := run(context.Background(), []string{"-limit-train", "512", "-limit-test", "128", "-epochs", "2",
		"-batch-size", "64", "-backend", "cpu", "-verbose", "0", "-out", dir}, &out)
	if err != nil {
		t.Fatal(err)
	}
	text := out.String()
	if !strings.Contains(text, "Total params: 552,362") {
		t.Errorf("summary lacks Keras's parameter count:\n%s", text)
	}
	lines := strings.Split(strings.TrimSpace(text), "\n")
	var epochs, best int
	var secs, loss, acc float64
	if _, err := fmt.Sscanf(lines[len(lines)-1], "epochs %d (%f s each), best epoch %d: test loss %f accuracy %f",
		&epochs, &secs, &best, &loss, &acc); err != nil {
		t.Fatalf("last line %q: %v", lines[len(lines)-1], err)
	}
	if epochs != 2 || best < 1 || best > 2 || !(loss > 0) || acc < 0 || acc > 1 {
		t.Errorf("last line %q", lines[len(lines)-1])
	}
	if _, err := os.Stat(filepath.Join(dir, "best")); err != nil {
		t.Errorf("ModelCheckpoint left no best model: %v", err)
	}
}

// TestFlagsAreChecked: bad settings are refused before any data is read.
func TestFlagsAreChecked(t *testing.T) {
	for _, args := range [][]string{{"-epochs", "0"}, {"-lr", "-1"}, {"-limit-train", "-3"}, {"-nope"}} {
		if _, err := parse(args, &bytes.Buffer{}); err == nil {
			t.Errorf("%v accepted", args)
		}
	}
}

// tiny are the flags of a run small enough for a test: 231 training
// images in 8 batches, 25 validation images, 3 epochs, at a learning rate
// where the first epoch's val_loss stays the best (see
// TestInterruptedRunResumesBitIdentical).
var tiny = []string{"-limit-train", "256", "-limit-test", "64", "-epochs", "3", "-batch-size", "32", "-lr", "0.005",
	"-backend", "cpu", "-verbose", "2"}

// cancelAt is run's output in a test: it cancels the run's context as soon
// as the run prints marker (as Ctrl-C would, in the same place).
type cancelAt struct {
	mu     sync.Mutex
	buf    bytes.Buffer
	marker string
	cancel context.CancelFunc
}

func (c *cancelAt) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.buf.Write(p)
	if c.cancel != nil && strings.Contains(c.buf.String(), c.marker) {
		c.cancel()
	}
	return len(p), nil
}

// TestInterruptedRunResumesBitIdentical: a run interrupted as its second
// epoch begins (its context cancelled, as Ctrl-C does) and resumed with
// -resume trains as the unbroken run (the same loss and metrics in every
// epoch) and ends as it: the same best epoch, test loss and accuracy, and
// byte-identical best and final models. The epochs after the resume
// need the weights, Adam's slots and step (hence the schedule, the
// dropout and augmentation draws) and the shuffles to survive; the end
// needs EarlyStopping's and ModelCheckpoint's state, since the best epoch
// is the first, before the interruption: a resumed run that forgot it
// would take a later epoch for the best.
func TestInterruptedRunResumesBitIdentical(t *testing.T) {
	if _, err := datasets.Locate("cifar10", ""); err != nil {
		t.Fatalf("CIFAR-10 is needed: set %s to a folder holding cifar-10-batches-bin: %v", datasets.EnvDataDir, err)
	}
	whole, broken := t.TempDir(), t.TempDir()
	var out bytes.Buffer
	if err := run(context.Background(), append(tiny, "-out", whole), &out); err != nil {
		t.Fatal(err)
	}
	want := resultLine(t, out.String())
	wantEpochs := epochLines(out.String())
	if !strings.Contains(want, "best epoch 1:") || len(wantEpochs) != 3 {
		t.Fatalf("the unbroken run must train 3 epochs and find the first the best, or this test cannot tell whether "+
			"EarlyStopping's state survives: adjust -lr in tiny. It printed:\n%s", out.String())
	}

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	w := &cancelAt{marker: "Epoch 2/3", cancel: cancel}
	err := run(ctx, append(tiny, "-out", broken), w)
	if !errors.Is(err, context.Canceled) || !strings.Contains(w.buf.String(), "continue with the same flags and -resume") {
		t.Fatalf("the interrupted run returned %v, printed:\n%s", err, w.buf.String())
	}
	// A new run must not overwrite the interrupted one's checkpoint.
	if err := run(context.Background(), append(tiny, "-out", broken), &bytes.Buffer{}); err == nil || !strings.Contains(err.Error(), "add") {
		t.Errorf("a new run over an interrupted one's checkpoint: err = %v, want advice to add -resume", err)
	}
	out.Reset()
	if err := run(context.Background(), append(tiny, "-out", broken, "-resume"), &out); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "resuming from") || strings.Contains(out.String(), "Epoch 1/3") {
		t.Errorf("the resumed run did not continue at epoch 2:\n%s", out.String())
	}
	if got := resultLine(t, out.String()); got != want {
		t.Errorf("resumed run ends with %q, the unbroken one with %q", got, want)
	}
	if got := append(epochLines(w.buf.String()), epochLines(out.String())...); strings.Join(got, "\n") != strings.Join(wantEpochs, "\n") {
		t.Errorf("the interrupted and resumed run's epochs:\n%s\nthe unbroken run's:\n%s", strings.Join(got, "\n"), strings.Join(wantEpochs, "\n"))
	}
	for _, f := range []string{"best/model.safetensors", "final/model.safetensors"} {
		a, errA := os.ReadFile(filepath.Join(whole, f))
		b, errB := os.ReadFile(filepath.Join(broken, f))
		if errA != nil || errB != nil || !bytes.Equal(a, b) {
			t.Errorf("%s of the resumed run differs from the unbroken run's (%v, %v)", f, errA, errB)
		}
	}
	if _, err := os.Stat(filepath.Join(broken, checkpointDir)); err == nil {
		t.Error("the completed run left its checkpoint behind")
	}
}

// epochLines are the loss and metrics of each epoch a run printed
// (-verbose 2), without the times.
func epochLines(out string) []string {
	var lines []string
	for _, line := range strings.Split(out, "\n") {
		if _, metrics, ok := strings.Cut(line, "/step - "); ok {
			lines = append(lines, metrics)
		}
	}
	return lines
}

// resultLine is the last line of a run's output without the time per
// epoch, which no two runs share.
func resultLine(t *testing.T, out string) string {
	t.Helper()
	lines := strings.Split(strings.TrimSpace(out), "\n")
	last := lines[len(lines)-1]
	before, after, ok := strings.Cut(last, " s each)")
	open := strings.LastIndex(before, "(")
	if !ok || open < 0 {
		t.Fatalf("last line %q is not the result", last)
	}
	return before[:open] + after
}

// TestResumeErrors: -resume without a checkpoint, or with flags that
// differ from the interrupted run's, is refused with what differs and
// what to do, before any data is read.
func TestResumeErrors(t *testing.T) {
	dir := t.TempDir()
	err := run(context.Background(), append(tiny, "-out", dir, "-resume"), &bytes.Buffer{})
	if err == nil || !strings.Contains(err.Error(), "no checkpoint in") || !strings.Contains(err.Error(), "without -resume") {
		t.Errorf("-resume with no checkpoint: %v", err)
	}
	s, err := parse(append(tiny, "-out", dir), &bytes.Buffer{})
	if err != nil {
		t.Fatal(err)
	}
	m, err := augmentedCNN(classes)
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Compile(nn.Adam(0.001), "sparse_categorical_crossentropy", "accuracy"); err != nil {
		t.Fatal(err)
	}
	if err := m.SaveCheckpoint(filepath.Join(dir, checkpointDir), nn.Checkpoint{Epoch: 1, Seed: s.seed, Meta: s.meta()}); err != nil {
		t.Fatal(err)
	}
	err = run(context.Background(), append(tiny, "-out", dir, "-resume", "-seed", "2", "-epochs", "5"), &bytes.Buffer{})
	if err == nil || !strings.Contains(err.Error(), "has -epochs 3 -seed 1, not -epochs 5 -seed 2") || !strings.Contains(err.Error(), "its own flags") {
		t.Errorf("-resume with other flags: %v", err)
	}
	other, err := nn.NewSequential(nn.Dense(2, nn.WithInputShape(3)))
	if err == nil {
		err = other.Compile(nn.Adam(0.001), "mse")
	}
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		meta map[string]string
		want string
	}{{s.meta(), "holds another model"}, {map[string]string{"model": "cnn"}, "not saved by cifar-augment"}} {
		if err := other.SaveCheckpoint(filepath.Join(dir, checkpointDir), nn.Checkpoint{Meta: c.meta}); err != nil {
			t.Fatal(err)
		}
		err = run(context.Background(), append(tiny, "-out", dir, "-resume"), &bytes.Buffer{})
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("-resume from a checkpoint with meta %v: %v, want %q", c.meta, err, c.want)
		}
	}
}
