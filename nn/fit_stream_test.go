package nn

import (
	"bytes"
	"context"
	"errors"
	"io"
	"iter"
	"runtime"
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

// TestShuffleBufferOrder: the buffer emits a permutation, repeatable by
// seed, in which no sample leaves before size-1 samples after it entered
// the buffer have arrived (a sample can only move ahead by the buffer).
func TestShuffleBufferOrder(t *testing.T) {
	const n, size = 200, 16
	order := func(seed uint64) []int {
		in := newEncodedRows([]int{4})
		for i := range n {
			in.bufs[0] = append(in.bufs[0], byte(i), byte(i>>8), 0, 0)
		}
		in.n = n
		var out []int
		emit := func(rows *encodedRows, i int) bool {
			r := rows.row(0, i)
			out = append(out, int(r[0])|int(r[1])<<8)
			return true
		}
		sb := newShuffleBuffer(size, tensor.NewStream(seed, 1), []int{4})
		for i := range n {
			sb.push(in, i, emit)
		}
		sb.drain(emit)
		return out
	}
	a := order(1)
	seen := make([]bool, n)
	moved := false
	for pos, s := range a {
		if seen[s] {
			t.Fatalf("sample %d emitted twice", s)
		}
		seen[s] = true
		if pos < s-size+1 {
			t.Errorf("sample %d left at %d, ahead of the buffer", s, pos)
		}
		moved = moved || pos != s
	}
	if len(a) != n || !moved {
		t.Fatalf("got %d samples, moved %v", len(a), moved)
	}
	if b := order(1); !slicesEqual(a, b) {
		t.Error("the same seed gave another order")
	}
	if c := order(2); slicesEqual(a, c) {
		t.Error("another seed gave the same order")
	}
}

func slicesEqual(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// endless is a Source that never ends and counts its open passes.
type endless struct {
	d    Data
	open chan int
}

func (e *endless) Batches(ctx context.Context) iter.Seq2[Data, error] {
	return func(yield func(Data, error) bool) {
		e.open <- 1
		defer func() { e.open <- -1 }()
		for {
			if !yield(e.d, nil) {
				return
			}
		}
	}
}

// waitGoroutines waits for the goroutine count to fall to want, failing
// after a few seconds: a goroutine Fit left running is a leak.
func waitGoroutines(t *testing.T, want int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > want {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<16)
			t.Fatalf("%d goroutines, want %d:\n%s", runtime.NumGoroutine(), want, buf[:runtime.Stack(buf, true)])
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// stopAfter cancels a context after a number of batches.
type stopAfter struct {
	BaseCallback
	n      int
	cancel context.CancelFunc
}

func (s *stopAfter) OnTrainBatchEnd(b int, _ Logs) error {
	if s.n--; s.n == 0 {
		s.cancel()
	}
	return nil
}

// TestFitSourceCancel: cancelling a Fit over an endless Source stops it
// after the current step with an *Interrupted, abandons the pass (its
// iterator returns) and leaves no goroutine behind.
func TestFitSourceCancel(t *testing.T) {
	base := runtime.NumGoroutine()
	d := streamData()
	src := &endless{d: sliceData(d, 0, 5), open: make(chan int, 100)}
	m := imageModel(t, "categorical_crossentropy")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	o := FitOptions{Verbose: Silent, BatchSize: 8, StepsPerExecution: 1, ShuffleBuffer: 20,
		Callbacks: []Callback{&stopAfter{n: 30, cancel: cancel}}}
	_, err := m.FitSource(ctx, src, o)
	var in *Interrupted
	if !errors.As(err, &in) || !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want an *Interrupted by the cancellation", err)
	}
	if in.Step != 30 || !strings.Contains(err.Error(), "after step 30: context canceled") {
		t.Errorf("stopped after step %d (%v), want 30 of unknown steps", in.Step, err)
	}
	waitGoroutines(t, base)
	open := 0
	for len(src.open) > 0 {
		open += <-src.open
	}
	if open != 0 {
		t.Errorf("%d passes left open", open)
	}

	// A Source that blocks before its first batch is stopped too.
	blocked := SourceFunc(func(ctx context.Context) iter.Seq2[Data, error] {
		return func(yield func(Data, error) bool) { <-ctx.Done() }
	})
	ctx2, cancel2 := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel2()
	if _, err := m.FitSource(ctx2, blocked, FitOptions{Verbose: Silent}); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("err = %v, want the deadline", err)
	}
	if _, err := m.EvaluateSource(ctx2, blocked, 8); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Evaluate: err = %v, want the deadline", err)
	}
	waitGoroutines(t, base)
}

// failing yields good batches, then err at batch failAt (1-based) of pass
// failPass (0-based).
func failing(d Data, failPass, failAt int, err error) Source {
	pass := 0
	return SourceFunc(func(ctx context.Context) iter.Seq2[Data, error] {
		p := pass
		pass++
		return func(yield func(Data, error) bool) {
			for k := 1; ; k++ {
				if p == failPass && k == failAt {
					yield(Data{}, err)
					return
				}
				if !yield(sliceData(d, 0, 8), nil) || k == 4 {
					return
				}
			}
		}
	})
}

// TestFitSourceErrors: a Source's errors, bad batches and empty passes
// stop Fit with an error that says which epoch and batch, and leave no
// goroutine behind.
func TestFitSourceErrors(t *testing.T) {
	base := runtime.NumGoroutine()
	d := streamData()
	disk := errors.New("disk on fire")
	m := imageModel(t, "categorical_crossentropy")
	o := FitOptions{Verbose: Silent, BatchSize: 8, Epochs: 2}
	fit := func(src Source, o FitOptions) error {
		_, err := m.FitSource(context.Background(), src, o)
		return err
	}
	err := fit(failing(d, 1, 3, disk), o)
	wantErr(t, err, "epoch 2, batch 3 of the source", "disk on fire")
	if !errors.Is(err, disk) {
		t.Errorf("%v does not wrap the source's error", err)
	}
	wantErr(t, fit(failing(d, 0, 1, disk), o), "epoch 1, batch 1 of the source")

	wrong := Data{X: []*tensor.Tensor{tensor.New(4, 3)}, Labels: []int{0, 1, 2, 0}}
	mixed := SourceFunc(func(ctx context.Context) iter.Seq2[Data, error] {
		return func(yield func(Data, error) bool) {
			_ = yield(sliceData(d, 0, 4), nil) && yield(wrong, nil)
		}
	})
	wantErr(t, fit(mixed, o), "batch 2 of the source", "input 0 has shape")
	oneHot, _ := ToCategorical(d.Labels[:4], 3)
	forms := SourceFunc(func(ctx context.Context) iter.Seq2[Data, error] {
		return func(yield func(Data, error) bool) {
			_ = yield(sliceData(d, 0, 4), nil) && yield(Data{Bytes: sliceData(d, 0, 4).Bytes, Y: oneHot}, nil)
		}
	})
	wantErr(t, fit(forms, o), "batch 2 of the source", "the targets are Y, the first batch's were Labels")

	empty := SourceFunc(func(ctx context.Context) iter.Seq2[Data, error] { return func(func(Data, error) bool) {} })
	wantErr(t, fit(empty, o), "epoch 1, the source gave no samples")
	_, err = m.EvaluateSource(context.Background(), empty, 8)
	wantErr(t, err, "the source gave no samples")

	// A BatchReader without Reset gives one pass: epoch 2 finds it empty.
	wantErr(t, fit(ReaderSource(&sliceReader{d: d}), o), "epoch 2, the source gave no samples", "Reset")
	if err := fit(ReaderSource(&resettable{sliceReader{d: d}}), o); err != nil {
		t.Errorf("a BatchReader with Reset: %v", err)
	}

	wantErr(t, fit(DataSource(d, 8), FitOptions{Verbose: Silent, ValidationSplit: 0.2}), "ValidationSplit")
	wantErr(t, fit(nil, o), "Source is nil")
	waitGoroutines(t, base)
}

// sliceReader reads d in batches of 6 with Next.
type sliceReader struct {
	d  Data
	at int
}

func (r *sliceReader) Next(ctx context.Context) (Data, error) {
	n := len(r.d.Labels)
	if r.at >= n {
		return Data{}, io.EOF
	}
	lo := r.at
	r.at = min(n, r.at+6)
	return sliceData(r.d, lo, r.at), nil
}

type resettable struct{ sliceReader }

func (r *resettable) Reset() error { r.at = 0; return nil }

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

// TestValidationSplit: ValidationSplit trains on the first samples and
// validates on the last ones, as given explicitly, and refuses what Keras
// refuses.
func TestValidationSplit(t *testing.T) {
	d := streamData()
	ma, mb := imageModel(t, "categorical_crossentropy"), imageModel(t, "categorical_crossentropy")
	o := FitOptions{Verbose: Silent, BatchSize: 8, Epochs: 2, Seed: 4}
	val := sliceData(d, 40, 50) // floor(50 * 0.8) = 40
	o.ValidationData = &val
	ha, err := ma.FitData(context.Background(), sliceData(d, 0, 40), o)
	if err != nil {
		t.Fatal(err)
	}
	o.ValidationData, o.ValidationSplit = nil, 0.2
	hb, err := mb.FitData(context.Background(), d, o)
	if err != nil {
		t.Fatal(err)
	}
	sameHistory(t, ha, hb)
	if _, ok := hb.Last("val_accuracy"); !ok {
		t.Error("no validation metrics")
	}
	for _, c := range []struct {
		d     Data
		split float64
		val   *Data
		want  string
	}{
		{d, 0.2, &val, "validation data both given"},
		{d, 1, nil, "between 0 and 1"},
		{d, -0.1, nil, "between 0 and 1"},
		{d, 1e-17, nil, "50 samples are not enough"},
		{sliceData(d, 0, 1), 0.5, nil, "1 samples are not enough"},
	} {
		_, err := mb.FitData(context.Background(), c.d, FitOptions{Verbose: Silent, ValidationSplit: c.split, ValidationData: c.val})
		wantErr(t, err, c.want)
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
