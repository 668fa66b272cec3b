package main

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/anvil-ml/anvil/format/atomicfile"
	"github.com/anvil-ml/anvil/nn"
)

// linregArgs is a run of the tutorial's one-neuron model: seconds, and no
// data set needed.
func linregArgs(out string, more ...string) []string {
	return append([]string{"-model", "linreg", "-backend", "cpu", "-verbose", "0", "-out", out}, more...)
}

// crashingWrites makes every atomic write into a path containing part
// panic half-way, as a kill -9 in mid-save would stop it.
func crashingWrites(part string) (restore func()) {
	return atomicfile.SetFaultHook(func(path string, w io.Writer) io.Writer {
		if !strings.Contains(path, part) {
			return w
		}
		return crashWriter{w}
	})
}

type crashWriter struct{ w io.Writer }

func (c crashWriter) Write(p []byte) (int, error) {
	c.w.Write(p[:len(p)/2])
	panic("simulated crash in mid-save")
}

// A crash while a checkpoint is written must leave -resume working from the
// newest complete checkpoint.
func TestResumeAfterCrashInMidSave(t *testing.T) {
	out := t.TempDir()
	nn.ClearSession()
	if _, _, err := runTrain(t, context.Background(), linregArgs(out, "-epochs", "2")...); err != nil {
		t.Fatal(err)
	}
	func() {
		restore := crashingWrites("epoch-0003")
		defer restore()
		defer func() {
			if recover() == nil {
				t.Fatal("the simulated crash did not happen")
			}
		}()
		nn.ClearSession()
		runTrain(t, context.Background(), "-resume", out, "-epochs", "4", "-verbose", "0")
	}()
	if _, err := os.Stat(filepath.Join(out, checkpointsDir, "epoch-0003")); err == nil {
		t.Fatal("a crash in mid-save left a folder named epoch-0003: -resume would take it for the newest checkpoint")
	}
	nn.ClearSession()
	_, stderr, err := runTrain(t, context.Background(), "-resume", out, "-epochs", "4", "-verbose", "0")
	if err != nil {
		t.Fatalf("resume after a crash in mid-save: %v\n%s", err, stderr)
	}
	if !strings.Contains(stderr, "resuming from "+filepath.Join(out, checkpointsDir, "epoch-0002")) {
		t.Errorf("resumed from the wrong checkpoint:\n%s", stderr)
	}
	left, _ := os.ReadDir(filepath.Join(out, checkpointsDir))
	for _, e := range left {
		if strings.HasPrefix(e.Name(), ".") {
			t.Errorf("the interrupted save's %s was not cleaned up", e.Name())
		}
	}
	var h []map[string]any
	readJSON(t, filepath.Join(out, "history.json"), &h)
	if len(h) != 4 {
		t.Errorf("history.json has %d epochs, want 4", len(h))
	}
}

// Folders left by older versions (no manifest, only temporary files) and
// damaged checkpoints are skipped, each with the reason, for the newest
// complete one; a folder holding a user's own file is left alone.
func TestResumeSkipsIncompleteAndDamagedCheckpoints(t *testing.T) {
	out := t.TempDir()
	nn.ClearSession()
	if _, _, err := runTrain(t, context.Background(), linregArgs(out, "-epochs", "3")...); err != nil {
		t.Fatal(err)
	}
	root := filepath.Join(out, checkpointsDir)
	// epoch-0003 damaged: a data file truncated after its manifest was written.
	weights, _ := filepath.Glob(filepath.Join(root, "epoch-0003", "weights-*.safetensors"))
	if len(weights) != 1 {
		t.Fatalf("weights of epoch-0003: %v", weights)
	}
	if err := os.Truncate(weights[0], 10); err != nil {
		t.Fatal(err)
	}
	// epoch-0004: what a kill -9 in mid-save left before this fix.
	mkFiles(t, filepath.Join(root, "epoch-0004"), ".architecture-000001.json.tmp-123", ".weights-000001.safetensors.tmp-456")
	// epoch-0005: incomplete, but with a file that is not Anvil's.
	mkFiles(t, filepath.Join(root, "epoch-0005"), "notes.txt")
	// and in the folder itself, a torn write of metrics.json beside a
	// user's file of a similar name.
	mkFiles(t, out, ".metrics.json.tmp-77", ".metrics.json.tmp-mine")
	nn.ClearSession()
	_, stderr, err := runTrain(t, context.Background(), "-resume", out, "-epochs", "4", "-verbose", "0")
	if err != nil {
		t.Fatalf("%v\n%s", err, stderr)
	}
	for _, want := range []string{
		"removed incomplete checkpoint epoch-0004",
		"skipping checkpoint epoch-0005",
		"skipping checkpoint epoch-0003", "truncated",
		"resuming from " + filepath.Join(root, "epoch-0002"),
	} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr)
		}
	}
	if _, err := os.Stat(filepath.Join(root, "epoch-0005", "notes.txt")); err != nil {
		t.Errorf("a user's file in a checkpoint folder was removed: %v", err)
	}
	if _, err := os.Stat(filepath.Join(out, ".metrics.json.tmp-77")); err == nil {
		t.Error("the torn write's temporary file was not removed")
	}
	if _, err := os.Stat(filepath.Join(out, ".metrics.json.tmp-mine")); err != nil {
		t.Errorf("a user's file was removed: %v", err)
	}
	if _, _, err := nn.LoadCheckpoint(filepath.Join(root, "epoch-0003")); err != nil {
		t.Errorf("the damaged epoch-0003 was not replaced by the resumed run's: %v", err)
	}
}

func mkFiles(t *testing.T, dir string, names ...string) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, n := range names {
		if err := os.WriteFile(filepath.Join(dir, n), []byte("partial"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
