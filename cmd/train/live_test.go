package main

import (
	"bufio"
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

func TestTrainWritesLiveLog(t *testing.T) {
	dir := cifarDir(t)
	out := t.TempDir()
	nn.ClearSession()
	if _, _, err := runTrain(t, context.Background(), "-model", "fnn", "-data", "cifar10", "-data-dir", dir,
		"-limit-train", "200", "-limit-test", "100", "-epochs", "2", "-backend", "cpu", "-verbose", "0", "-out", out); err != nil {
		t.Fatal(err)
	}
	recs := readLive(t, filepath.Join(out, liveFile))
	if len(recs) < 6 {
		t.Fatalf("%d records, want start, 2×(progress, epoch), end", len(recs))
	}
	start, end := recs[0], recs[len(recs)-1]
	if start.Kind != nn.LiveStart || start.Settings["data"] != "cifar10" || start.Device == "" || len(start.SampleIndices) != 16 {
		t.Errorf("start record %+v", start)
	}
	_, test, err := datasets.LoadCIFAR10(dir)
	if err != nil {
		t.Fatal(err)
	}
	for i, j := range start.SampleIndices {
		if start.SampleLabels[i] != test.Labels[j] {
			t.Errorf("sample %d (test image %d): label %d, the data set says %d", i, j, start.SampleLabels[i], test.Labels[j])
		}
	}
	if end.Kind != nn.LiveEnd || end.Status != nn.LiveFinished || end.Logs["val_accuracy"] == 0 {
		t.Errorf("end record %+v", end)
	}
	epochs := 0
	for _, r := range recs {
		if r.Kind == nn.LiveEpoch {
			epochs++
			if r.Epoch != epochs || len(r.Predicted) != 16 {
				t.Errorf("epoch record %+v", r)
			}
		}
	}
	if epochs != 2 {
		t.Errorf("%d epoch records, want 2", epochs)
	}
}

func TestLiveLogOfAStoppedAndResumedRun(t *testing.T) {
	dir := cifarDir(t)
	out := t.TempDir()
	args := []string{"-model", "fnn", "-data", "cifar10", "-data-dir", dir, "-epochs", "2", "-limit-train", "96",
		"-limit-test", "32", "-batch-size", "16", "-backend", "cpu", "-verbose", "0", "-out", out}
	nn.ClearSession()
	// 6 steps per epoch: stop after 8, at step 2 of epoch 2.
	if _, _, err := runTrain(t, &stopAfter{Context: context.Background(), n: 8}, args...); !errors.Is(err, context.Canceled) {
		t.Fatalf("interrupted run: %v", err)
	}
	nn.ClearSession()
	if _, _, err := runTrain(t, context.Background(), "-resume", out, "-verbose", "0", "-data-dir", dir); err != nil {
		t.Fatal(err)
	}
	var starts, ends []nn.LiveRecord
	for _, r := range readLive(t, filepath.Join(out, liveFile)) {
		switch r.Kind {
		case nn.LiveStart:
			starts = append(starts, r)
		case nn.LiveEnd:
			ends = append(ends, r)
		}
	}
	if len(starts) != 2 || len(ends) != 2 {
		t.Fatalf("%d start and %d end records, want 2 each", len(starts), len(ends))
	}
	if s := starts[1]; !s.Resumed || s.Epoch != 2 || s.Step != 2 || starts[0].Resumed {
		t.Errorf("start records %+v, %+v", starts[0], s)
	}
	if ends[0].Status != nn.LiveStopped || !strings.Contains(ends[0].Message, "stopped in epoch 2 after step 2/6") ||
		ends[1].Status != nn.LiveFinished {
		t.Errorf("end records %+v, %+v", ends[0], ends[1])
	}
}

func readLive(t *testing.T, path string) []nn.LiveRecord {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var recs []nn.LiveRecord
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var r nn.LiveRecord
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatalf("%s line %d: %v", path, len(recs)+1, err)
		}
		recs = append(recs, r)
	}
	return recs
}
