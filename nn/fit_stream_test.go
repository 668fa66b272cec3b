package nn

import (
	"bytes"
	"context"
	"errors"
	"iter"
	"strings"
	"testing"
	"time"

	"github.com/anvil-ml/anvil/tensor"
)

// streamData is 50 byte images with labels: with batches of 8 the last
// step of an epoch has 2 samples.
func streamData() Data {
	b, labels := byteImages(50)
	return Data{Bytes: []*tensor.Bytes{b}, Labels: labels}
}

// sameHistory fails unless a and b hold bit-identical values.
func sameHistory(t *testing.T, a, b *History) {
	t.Helper()
	if len(a.Metrics) != len(b.Metrics) || len(a.Epoch) != len(b.Epoch) {
		t.Fatalf("histories differ in shape: %v vs %v", a.Metrics, b.Metrics)
	}
	for name, vals := range a.Metrics {
		for i, v := range vals {
			if b.Metrics[name][i] != v {
				t.Errorf("%s epoch %d: %v vs %v", name, i+1, v, b.Metrics[name][i])
			}
		}
	}
}

// fitSourceMatches trains one fresh model on d in memory and another on
// src, both with o, and fails unless their histories and weights are
// bit-identical. The streamed model gets a data budget small enough that
// its chunks are two batches, so steps cross chunks and slots.
func fitSourceMatches(t *testing.T, d Data, src Source, o FitOptions) {
	t.Helper()
	o.Verbose, o.BatchSize, o.Epochs, o.Seed = Silent, 8, 2, 5
	ma, mb := imageModel(t, "categorical_crossentropy"), imageModel(t, "categorical_crossentropy")
	mb.SetDataBudget(2 * 16 * (16 + 4 + 4))
	ha, err := ma.FitData(context.Background(), d, o)
	if err != nil {
		t.Fatal(err)
	}
	hb, err := mb.FitSource(context.Background(), src, o)
	if err != nil {
		t.Fatal(err)
	}
	sameHistory(t, ha, hb)
	if !sameWeights(weightsOf(t, ma), weightsOf(t, mb)) {
		t.Error("the weights differ")
	}
}

// TestFitSourceMatchesFit: a Source of in-memory data trains bit-identically
// to the data itself: in order with NoShuffle, and in the same shuffled
// order when the shuffle buffer holds the whole set (the buffer draws its
// final order as epochOrder does), whatever the Source's batch sizes.
func TestFitSourceMatchesFit(t *testing.T) {
	d := streamData()
	vb, vl := byteImages(13)
	val := &Data{Bytes: []*tensor.Bytes{vb}, Labels: vl}
	for _, c := range []struct {
		name string
		o    FitOptions
	}{
		{"no shuffle", FitOptions{NoShuffle: true}},
		{"buffer as large as the set", FitOptions{ShuffleBuffer: 50}},
		{"buffer larger than the set", FitOptions{ShuffleBuffer: 4096}},
		{"validation data", FitOptions{NoShuffle: true, ValidationData: val}},
	} {
		t.Run(c.name, func(t *testing.T) {
			fitSourceMatches(t, d, DataSource(d, 7), c.o)
		})
	}
	t.Run("validation source", func(t *testing.T) {
		ma, mb := imageModel(t, "categorical_crossentropy"), imageModel(t, "categorical_crossentropy")
		o := FitOptions{Verbose: Silent, BatchSize: 8, Epochs: 2, Seed: 3, ValidationData: val}
		ha, err := ma.FitData(context.Background(), d, o)
		if err != nil {
			t.Fatal(err)
		}
		o.ValidationData, o.ValidationSource, o.ShuffleBuffer = nil, DataSource(*val, 5), 64
		hb, err := mb.FitSource(context.Background(), DataSource(d, 50), o)
		if err != nil {
			t.Fatal(err)
		}
		sameHistory(t, ha, hb)
		if _, ok := hb.Last("val_loss"); !ok {
			t.Error("no val_loss")
		}
		// In-memory training data with a ValidationSource.
		hc, err := imageModel(t, "categorical_crossentropy").FitData(context.Background(), d, o)
		if err != nil {
			t.Fatal(err)
		}
		sameHistory(t, ha, hc)
	})
}

// TestFitSourceShuffles: a buffer smaller than the set still trains
// (differently from the in-memory order), and the same seed repeats the
// run exactly.
func TestFitSourceShuffles(t *testing.T) {
	d := streamData()
	o := FitOptions{Verbose: Silent, BatchSize: 8, Epochs: 2, Seed: 9, ShuffleBuffer: 10}
	run := func(o FitOptions) *Model {
		m := imageModel(t, "categorical_crossentropy")
		if _, err := m.FitSource(context.Background(), DataSource(d, 7), o); err != nil {
			t.Fatal(err)
		}
		return m
	}
	a, b := run(o), run(o)
	if !sameWeights(weightsOf(t, a), weightsOf(t, b)) {
		t.Error("the same seed gave different weights")
	}
	o.NoShuffle = true
	if c := run(o); sameWeights(weightsOf(t, a), weightsOf(t, c)) {
		t.Error("shuffling did not change the order")
	}
}

// TestFitSourceProgress: the first epoch's bar counts steps with the total
// unknown and ends on the steps the pass had (7, the last one short); the
// callbacks see 0 steps (unknown) and the history the mean over all 50
// samples, as in memory.
func TestFitSourceProgress(t *testing.T) {
	d := streamData()
	m := imageModel(t, "categorical_crossentropy")
	var out bytes.Buffer
	rec := &recorder{}
	if _, err := m.FitSource(context.Background(), DataSource(d, 50), FitOptions{Verbose: 2, Out: &out, BatchSize: 8, Epochs: 2,
		Callbacks: []Callback{rec}}); err != nil {
		t.Fatal(err)
	}
	if got := strings.Count(out.String(), "7/7 - "); got != 2 {
		t.Errorf("want two epochs of 7/7 steps:\n%s", out.String())
	}
	if rec.params.Steps != 0 {
		t.Errorf("callbacks' Steps = %d, want 0 (unknown)", rec.params.Steps)
	}
	p := newProgressBar(&out, 0, 1)
	out.Reset()
	p.update(12, []string{"loss"}, []float64{0.5})
	if !strings.Contains(out.String(), "12/Unknown") {
		t.Errorf("unknown total drawn as %q", out.String())
	}
}

// TestEvaluateSourceMatchesEvaluate: EvaluateSource and PredictSource
// over any batching give EvaluateData's and PredictData's results bit for
// bit, also when the chunks take turns in the two slots.
func TestEvaluateSourceMatchesEvaluate(t *testing.T) {
	d := streamData()
	m := imageModel(t, "categorical_crossentropy")
	m.SetDataBudget(2 * 16 * (16 + 4 + 4))
	want, err := m.EvaluateData(d, 8)
	if err != nil {
		t.Fatal(err)
	}
	wantP, err := m.PredictData(d, 8)
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range []int{1, 8, 13, 50} {
		got, err := m.EvaluateSource(context.Background(), DataSource(d, b), 8)
		if err != nil {
			t.Fatal(err)
		}
		for i := range want.Values {
			if got.Values[i] != want.Values[i] {
				t.Errorf("source batches of %d: %v, want %v", b, got, want)
			}
		}
		p, err := m.PredictSource(context.Background(), DataSource(d, b), 8)
		if err != nil {
			t.Fatal(err)
		}
		if !p.Shape.Equal(wantP.Shape) || !sameWeights([]*tensor.Tensor{p}, []*tensor.Tensor{wantP}) {
			t.Errorf("source batches of %d: PredictSource differs from PredictData (shape %v, want %v)", b, p.Shape, wantP.Shape)
		}
	}
	// Predict ignores the targets, so a Source of features alone will do.
	feats := Data{Bytes: d.Bytes}
	if p, err := m.PredictSource(context.Background(), DataSource(feats, 9), 8); err != nil || p.Rows() != 50 {
		t.Errorf("features only: %v, %v", p, err)
	}
}

// slowSource is DataSource(d, batch) pausing before each batch, so that
// Fit's progress reports come inside epochs.
func slowSource(d Data, batch int, pause time.Duration) Source {
	return SourceFunc(func(ctx context.Context) iter.Seq2[Data, error] {
		return func(yield func(Data, error) bool) {
			for b, err := range DataSource(d, batch).Batches(ctx) {
				time.Sleep(pause)
				if !yield(b, err) {
					return
				}
			}
		}
	})
}

// TestFitSourceSurvivesRebuilds: a progress callback that rebuilds the
// program inside an epoch (a Predict on more rows) leaves FitSource's
// training bit-identical: the chunk the steps are in goes up again.
func TestFitSourceSurvivesRebuilds(t *testing.T) {
	if testing.Short() {
		t.Skip("paced source: a few seconds")
	}
	d := streamData()
	o := FitOptions{Verbose: Silent, Epochs: 2, BatchSize: 8, Seed: 2, ShuffleBuffer: 12, StepsPerExecution: 1}
	plain := imageModel(t, "categorical_crossentropy")
	plain.SetDataBudget(2 * 16 * (16 + 4 + 4))
	hPlain, err := plain.FitSource(context.Background(), DataSource(d, 8), o)
	if err != nil {
		t.Fatal(err)
	}
	m := imageModel(t, "categorical_crossentropy")
	m.SetDataBudget(2 * 16 * (16 + 4 + 4))
	reports, inside := 0, 0
	o.OnProgress = func(p Progress) error {
		reports++
		if p.Steps == 0 || p.Step < p.Steps {
			inside++
		}
		_, err := m.Predict(tensor.New(64, 4, 4, 1), 8+reports) // a larger batch each time: a rebuild
		return err
	}
	h, err := m.FitSource(context.Background(), slowSource(d, 8, 150*time.Millisecond), o)
	if err != nil {
		t.Fatal(err)
	}
	if inside == 0 {
		t.Fatalf("no report inside an epoch (%d reports)", reports)
	}
	sameHistory(t, hPlain, h)
	if !sameWeights(weightsOf(t, plain), weightsOf(t, m)) {
		t.Error("a callback that rebuilt the program changed the training")
	}
}

// TestFitSourceResumesExactly: a FitSource cancelled inside its second
// epoch and resumed there (the pass skips the steps done) reproduces the
// unbroken run bit for bit.
func TestFitSourceResumesExactly(t *testing.T) {
	d := streamData()
	o := FitOptions{Verbose: Silent, Epochs: 3, BatchSize: 8, Seed: 6, ShuffleBuffer: 20}
	whole := imageModel(t, "categorical_crossentropy")
	whole.SetDataBudget(2 * 16 * (16 + 4 + 4))
	hWhole, err := whole.FitSource(context.Background(), DataSource(d, 9), o)
	if err != nil {
		t.Fatal(err)
	}
	m := imageModel(t, "categorical_crossentropy")
	m.SetDataBudget(2 * 16 * (16 + 4 + 4))
	stopped := o
	stopped.StepsPerExecution = 1
	_, err = m.FitSource(&stepContext{Context: context.Background(), n: 7 + 5 + 1}, DataSource(d, 9), stopped)
	var stop *Interrupted
	if !errors.As(err, &stop) || stop.Epoch != 1 || stop.Step != 5 || stop.Steps != 7 {
		t.Fatalf("FitSource = %v (%+v), want an Interrupted at epoch 2 step 5/7", err, stop)
	}
	o.InitialEpoch, o.InitialStep, o.InitialSums = stop.Epoch, stop.Step, stop.Sums
	hRest, err := m.FitSource(context.Background(), DataSource(d, 9), o)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 2 {
		if a, b := hWhole.Metrics["loss"][i+1], hRest.Metrics["loss"][i]; a != b {
			t.Errorf("epoch %d loss %v after resume, %v without interruption", i+2, b, a)
		}
	}
	if !sameWeights(weightsOf(t, whole), weightsOf(t, m)) {
		t.Error("resuming inside an epoch did not reproduce the unbroken run")
	}
}
