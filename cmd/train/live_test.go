package main

import (
	"bufio"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
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
