package nn

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/anvil-ml/anvil/tensor"
)

func TestOnProgressReportsEveryEpochEndAndLeavesTrainingUnchanged(t *testing.T) {
	x, y := spiral(100)
	opts := FitOptions{Verbose: Silent, Epochs: 2, BatchSize: 16, Seed: 9}
	plain := resumeModel(t)
	hPlain, err := plain.Fit(context.Background(), x, y, opts)
	if err != nil {
		t.Fatal(err)
	}
	m := resumeModel(t)
	var got []Progress
	opts.OnProgress = func(p Progress) error { got = append(got, p); return nil }
	h, err := m.Fit(context.Background(), x, y, opts)
	if err != nil {
		t.Fatal(err)
	}
	if !sameWeights(weightsOf(t, plain), weightsOf(t, m)) {
		t.Error("watching progress changed the trained weights")
	}
	var ends []Progress
	for _, p := range got {
		if p.Step == p.Steps {
			ends = append(ends, p)
		}
	}
	if len(ends) != 2 {
		t.Fatalf("%d end-of-epoch reports, want 2: %+v", len(ends), got)
	}
	for e, p := range ends {
		if p.Epoch != e || p.Steps != 7 || p.Epochs != 2 || p.LearningRate != float64(float32(0.01)) || p.SamplesPerSecond <= 0 {
			t.Errorf("epoch %d report %+v", e, p)
		}
		// The last report of an epoch covers all its samples: the epoch's loss.
		if want := hPlain.Metrics["loss"][e]; p.Values[0] != want || h.Metrics["loss"][e] != want {
			t.Errorf("epoch %d: reported loss %v, history %v, want %v", e, p.Values[0], h.Metrics["loss"][e], want)
		}
	}
}

func TestLiveLogWritesOneLinePerRecord(t *testing.T) {
	x, y := spiral(64)
	path := filepath.Join(t.TempDir(), "live.jsonl")
	log, err := OpenLiveLog(path)
	if err != nil {
		t.Fatal(err)
	}
	m := resumeModel(t)
	idx := SampleIndices(64, 16)
	sample := tensor.New(len(idx), 2)
	for i, j := range idx {
		copy(sample.Data[2*i:2*i+2], x.Data[2*j:2*j+2])
	}
	if err := log.Write(LiveRecord{Kind: LiveStart, SampleIndices: idx}); err != nil {
		t.Fatal(err)
	}
	opts := FitOptions{Verbose: Silent, Epochs: 2, BatchSize: 16, Seed: 3, OnProgress: log.Progress, OnEpochEnd: log.EpochEnd(m, sample)}
	if _, err := m.Fit(context.Background(), x, y, opts); err != nil {
		t.Fatal(err)
	}
	want, err := m.PredictClasses(sample)
	if err != nil {
		t.Fatal(err)
	}
	plain := resumeModel(t)
	if _, err := plain.Fit(context.Background(), x, y, FitOptions{Verbose: Silent, Epochs: 2, BatchSize: 16, Seed: 3}); err != nil {
		t.Fatal(err)
	}
	if !sameWeights(weightsOf(t, plain), weightsOf(t, m)) {
		t.Error("predicting the sample after each epoch changed the trained weights")
	}
	if err := log.End(map[string]float64{"loss": 1}, nil); err != nil {
		t.Fatal(err)
	}
	log.Close()

	recs := readLiveLines(t, path)
	kinds := map[string]int{}
	for _, r := range recs {
		kinds[r.Kind]++
		if r.Time.IsZero() {
			t.Errorf("%s record without a time", r.Kind)
		}
		if r.Kind == LiveProgress && (r.Epoch < 1 || r.Epoch > 2 || r.Epochs != 2 || r.Step < 1 || r.Step > r.Steps || r.Steps != 4) {
			t.Errorf("progress record at epoch %d/%d step %d/%d, want epochs 1..2 of 2 (1-based) and steps 1..4 of 4", r.Epoch, r.Epochs, r.Step, r.Steps)
		}
	}
	if kinds[LiveStart] != 1 || kinds[LiveEpoch] != 2 || kinds[LiveEnd] != 1 || kinds[LiveProgress] < 2 {
		t.Errorf("record kinds %v", kinds)
	}
	last := recs[len(recs)-2]
	if last.Kind != LiveEpoch || last.Epoch != 2 || len(last.Predicted) != 16 {
		t.Fatalf("last epoch record %+v", last)
	}
	for i := range want {
		if last.Predicted[i] != want[i] {
			t.Fatalf("predicted %v, the model predicts %v", last.Predicted, want)
		}
	}
	if _, ok := last.Logs["val_loss"]; ok {
		t.Error("no validation data was given, yet the epoch record has val_loss")
	}
}

func readLiveLines(t *testing.T, path string) []LiveRecord {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []LiveRecord
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var r LiveRecord
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatalf("line %d: %v", len(out)+1, err)
		}
		out = append(out, r)
	}
	return out
}

func TestSampleIndicesSpreadEvenly(t *testing.T) {
	if got := SampleIndices(100, 4); got[0] != 0 || got[1] != 25 || got[3] != 75 {
		t.Errorf("SampleIndices(100, 4) = %v", got)
	}
	if got := SampleIndices(3, 16); len(got) != 3 || got[2] != 2 {
		t.Errorf("SampleIndices(3, 16) = %v", got)
	}
}

func TestLiveLogEndStatus(t *testing.T) {
	path := filepath.Join(t.TempDir(), "live.jsonl")
	log, err := OpenLiveLog(path)
	if err != nil {
		t.Fatal(err)
	}
	stop := fmt.Errorf("fit: %w", &Interrupted{Epoch: 1, Step: 2, Steps: 5, Cause: context.Canceled})
	for _, e := range []error{nil, stop, errors.New("disk full")} {
		if err := log.End(nil, e); err != nil {
			t.Fatal(err)
		}
	}
	log.Close()
	recs := readLiveLines(t, path)
	want := [][2]string{{LiveFinished, ""}, {LiveStopped, "fit: stopped in epoch 2 after step 2/5: context canceled"}, {LiveFailed, "disk full"}}
	for i, w := range want {
		if recs[i].Status != w[0] || recs[i].Message != w[1] {
			t.Errorf("end record %d: %q %q, want %q %q", i, recs[i].Status, recs[i].Message, w[0], w[1])
		}
	}
}

// A NaN or infinite loss cannot be written as JSON: the record names it
// in non_finite instead, so a diverging run's log stays readable.
func TestLiveLogNonFiniteValues(t *testing.T) {
	path := filepath.Join(t.TempDir(), "live.jsonl")
	l, err := OpenLiveLog(path)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	logs := map[string]float64{"loss": math.Inf(1), "accuracy": 0.5, "val_loss": math.NaN()}
	if err := l.Write(LiveRecord{Kind: LiveProgress, Logs: logs}); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var rec LiveRecord
	if err := json.Unmarshal(data, &rec); err != nil {
		t.Fatalf("%s: %v", data, err)
	}
	if len(rec.Logs) != 1 || rec.Logs["accuracy"] != 0.5 || !slices.Equal(rec.NonFinite, []string{"loss", "val_loss"}) {
		t.Errorf("record %s", data)
	}
	if len(logs) != 3 {
		t.Errorf("Write changed the caller's map: %v", logs)
	}
}
