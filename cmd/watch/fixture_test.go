package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/anvil-ml/anvil/nn"
)

// fixtureClasses are the fixture data set's class names, CIFAR-10's.
var fixtureClasses = []string{"airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"}

// fixturePixel is the colour of pixel (x, y) of fixture image i: every
// image differs, and so does every row and column.
func fixturePixel(i, x, y int) [3]uint8 {
	return [3]uint8{uint8(15 * i), uint8(8 * x), uint8(255 - 8*y)}
}

// writeFixtureData writes a tiny CIFAR-10 folder: 16 images in every batch
// file, labels i%10, so datasets.Load reads it as the real one.
func writeFixtureData(t *testing.T) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "cifar-10-batches-bin")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	var batch []byte
	for i := 0; i < 16; i++ {
		rec := make([]byte, 1+3*1024)
		rec[0] = byte(i % 10)
		for y := 0; y < 32; y++ {
			for x := 0; x < 32; x++ {
				px := fixturePixel(i, x, y)
				for c := 0; c < 3; c++ {
					rec[1+c*1024+y*32+x] = px[c]
				}
			}
		}
		batch = append(batch, rec...)
	}
	for _, f := range []string{"data_batch_1.bin", "data_batch_2.bin", "data_batch_3.bin", "data_batch_4.bin", "data_batch_5.bin", "test_batch.bin"} {
		if err := os.WriteFile(filepath.Join(dir, f), batch, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "batches.meta.txt"), []byte(strings.Join(fixtureClasses, "\n")+"\n\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

// fixtureRun is a finished two-epoch run of 10 steps per epoch, as train
// logs it, with the fixture data as its data set.
func fixtureRun(dataDir string) []nn.LiveRecord {
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	idx := nn.SampleIndices(16, 16)
	labels := make([]int, 16)
	for i := range labels {
		labels[i] = i % 10
	}
	recs := []nn.LiveRecord{{Kind: nn.LiveStart, Time: t0, Epoch: 1, Epochs: 2, Steps: 10, Device: "test device", Backend: "cpu",
		Settings: map[string]string{"model": "cnn", "data": "cifar10", "data-dir": dataDir, "batch-size": "32"},
		Metrics:  []string{"loss", "accuracy"}, SampleIndices: idx, SampleLabels: labels, ClassNames: fixtureClasses}}
	for e := 1; e <= 2; e++ {
		for s := 2; s <= 10; s += 2 {
			x := float64(e-1) + float64(s)/10
			recs = append(recs, nn.LiveRecord{Kind: nn.LiveProgress, Epoch: e, Epochs: 2, Step: s, Steps: 10,
				Logs: map[string]float64{"loss": 2.5 - x, "accuracy": 0.1 + 0.2*x}, ImagesPerSec: 1000, LearningRate: 0.0005})
		}
		recs = append(recs, nn.LiveRecord{Kind: nn.LiveEpoch, Epoch: e, Predicted: fixturePredictions(e),
			Logs: map[string]float64{"loss": 2.5 - float64(e), "accuracy": 0.1 + 0.2*float64(e),
				"val_loss": 2.7 - float64(e), "val_accuracy": 0.05 + 0.2*float64(e)}})
	}
	return append(recs, nn.LiveRecord{Kind: nn.LiveEnd, Status: nn.LiveFinished, Logs: map[string]float64{"val_accuracy": 0.45}})
}

// fixturePredictions are the classes predicted after epoch e: right for the
// first 4e samples, off by one for the others.
func fixturePredictions(e int) []int {
	p := make([]int, 16)
	for i := range p {
		p[i] = i % 10
		if i >= 4*e {
			p[i] = (i + 1) % 10
		}
	}
	return p
}

// encodeRecords renders records as live.jsonl lines.
func encodeRecords(t *testing.T, recs []nn.LiveRecord) []string {
	t.Helper()
	var lines []string
	for _, r := range recs {
		b, err := json.Marshal(r)
		if err != nil {
			t.Fatal(err)
		}
		lines = append(lines, string(b)+"\n")
	}
	return lines
}

// writeRunDir writes a run folder whose live.jsonl holds lines.
func writeRunDir(t *testing.T, lines []string) string {
	t.Helper()
	dir := t.TempDir()
	appendLog(t, dir, strings.Join(lines, ""))
	return dir
}

// appendLog appends text to dir's live.jsonl in one write.
func appendLog(t *testing.T, dir, text string) {
	t.Helper()
	f, err := os.OpenFile(filepath.Join(dir, liveFile), os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := fmt.Fprint(f, text); err != nil {
		t.Fatal(err)
	}
}
