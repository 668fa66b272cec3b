package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/anvil-ml/anvil/nn"
)

// A new run into a folder that holds another run is refused, naming the
// ways out, and leaves the earlier run as it was.
func TestNewRunRefusesAFolderHoldingARun(t *testing.T) {
	out := t.TempDir()
	nn.ClearSession()
	if _, _, err := runTrain(t, context.Background(), linregArgs(out, "-epochs", "2")...); err != nil {
		t.Fatal(err)
	}
	before, _ := os.ReadFile(filepath.Join(out, "metrics.json"))
	nn.ClearSession()
	_, _, err := runTrain(t, context.Background(), linregArgs(out, "-epochs", "1")...)
	if err == nil {
		t.Fatal("a second run into the same -out folder was not refused")
	}
	for _, want := range []string{"already holds a run", "new folder", "-resume " + out, "-overwrite"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
	after, _ := os.ReadFile(filepath.Join(out, "metrics.json"))
	if string(before) != string(after) {
		t.Error("the refused run changed metrics.json")
	}
	if _, err := os.Stat(filepath.Join(out, checkpointsDir, "epoch-0002")); err != nil {
		t.Errorf("the refused run touched the earlier run's checkpoints: %v", err)
	}
}

// -overwrite deletes the earlier run's files, and only those, before the
// new run writes anything: -resume then restores the new run.
func TestOverwriteClearsOnlyTheEarlierRun(t *testing.T) {
	out := t.TempDir()
	nn.ClearSession()
	if _, _, err := runTrain(t, context.Background(), linregArgs(out, "-epochs", "3")...); err != nil {
		t.Fatal(err)
	}
	mkFiles(t, out, "notes.txt")
	nn.ClearSession()
	_, stderr, err := runTrain(t, context.Background(), linregArgs(out, "-epochs", "1", "-overwrite")...)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(stderr, "removed the earlier run's") {
		t.Errorf("-overwrite did not say what it removed:\n%s", stderr)
	}
	if _, err := os.Stat(filepath.Join(out, "notes.txt")); err != nil {
		t.Errorf("-overwrite removed a file train did not write: %v", err)
	}
	names, _ := checkpointNames(filepath.Join(out, checkpointsDir))
	if strings.Join(names, " ") != "epoch-0001" {
		t.Errorf("checkpoints after -overwrite: %v, want only the new run's epoch-0001", names)
	}
	var h []map[string]any
	readJSON(t, filepath.Join(out, "history.json"), &h)
	if len(h) != 1 {
		t.Errorf("history.json has %d epochs, want the new run's 1", len(h))
	}
	nn.ClearSession()
	_, stderr, err = runTrain(t, context.Background(), "-resume", out, "-epochs", "2", "-verbose", "0")
	if err != nil || !strings.Contains(stderr, "resuming from "+filepath.Join(out, checkpointsDir, "epoch-0001")) {
		t.Fatalf("resume after -overwrite: %v\n%s", err, stderr)
	}
}

// -overwrite refuses to clear a checkpoints folder holding the user's own
// files, and a crash in mid-clear leaves no checkpoint of the old run.
func TestOverwriteKeepsUserFilesAndIsCrashSafe(t *testing.T) {
	out := t.TempDir()
	nn.ClearSession()
	if _, _, err := runTrain(t, context.Background(), linregArgs(out, "-epochs", "1")...); err != nil {
		t.Fatal(err)
	}
	mkFiles(t, filepath.Join(out, checkpointsDir), "mine.txt")
	nn.ClearSession()
	_, _, err := runTrain(t, context.Background(), linregArgs(out, "-epochs", "1", "-overwrite")...)
	if err == nil || !strings.Contains(err.Error(), "mine.txt") {
		t.Fatalf("-overwrite over a user's file: %v", err)
	}
	os.Remove(filepath.Join(out, checkpointsDir, "mine.txt"))
	// What a crash after the first rename of a clear leaves: the old
	// checkpoints in the trash, the old outputs still in place.
	trash := filepath.Join(out, ".anvil-trash-99999")
	os.Mkdir(trash, 0o755)
	if err := os.Rename(filepath.Join(out, checkpointsDir), filepath.Join(trash, checkpointsDir)); err != nil {
		t.Fatal(err)
	}
	nn.ClearSession()
	if _, _, err := runTrain(t, context.Background(), "-resume", out, "-verbose", "0"); err == nil {
		t.Error("-resume found a checkpoint of a half-cleared run")
	}
	nn.ClearSession()
	if _, _, err := runTrain(t, context.Background(), linregArgs(out, "-epochs", "1", "-overwrite")...); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(trash); err == nil {
		t.Error("the interrupted clear's trash folder was not removed")
	}
}

// A checkpoint of another run found in the folder is never restored.
func TestResumeSkipsACheckpointOfAnotherRun(t *testing.T) {
	a, b := t.TempDir(), t.TempDir()
	for _, out := range []string{a, b} {
		nn.ClearSession()
		if _, _, err := runTrain(t, context.Background(), linregArgs(out, "-epochs", "2")...); err != nil {
			t.Fatal(err)
		}
	}
	os.RemoveAll(filepath.Join(a, checkpointsDir, "epoch-0002"))
	if err := os.Rename(filepath.Join(b, checkpointsDir, "epoch-0002"), filepath.Join(a, checkpointsDir, "epoch-0002")); err != nil {
		t.Fatal(err)
	}
	nn.ClearSession()
	_, stderr, err := runTrain(t, context.Background(), "-resume", a, "-epochs", "3", "-verbose", "0")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(stderr, "skipping checkpoint epoch-0002: it belongs to another run") ||
		!strings.Contains(stderr, "resuming from "+filepath.Join(a, checkpointsDir, "epoch-0001")) {
		t.Errorf("stderr:\n%s", stderr)
	}
}

// A run that failed before saving anything does not block the next one.
func TestFailedRunLeavesTheFolderUsable(t *testing.T) {
	out := t.TempDir()
	nn.ClearSession()
	if _, _, err := runTrain(t, context.Background(), linregArgs(out, "-data", "csv")...); err == nil {
		t.Fatal("-data csv without -data-dir succeeded")
	}
	nn.ClearSession()
	if _, _, err := runTrain(t, context.Background(), linregArgs(out, "-epochs", "1")...); err != nil {
		t.Errorf("a run after a failed one: %v", err)
	}
}
