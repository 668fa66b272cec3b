package nn

import (
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

// goroutineBase runs m once, so that the backend's own long-lived workers
// (cpuref's pool) exist, and returns the goroutine count to come back to.
func goroutineBase(t *testing.T, m *Model) int {
	t.Helper()
	if _, err := m.EvaluateData(streamData(), 8); err != nil {
		t.Fatal(err)
	}
	return runtime.NumGoroutine()
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
	d := streamData()
	src := &endless{d: sliceData(d, 0, 5), open: make(chan int, 100)}
	m := imageModel(t, "categorical_crossentropy")
	base := goroutineBase(t, m)
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

	// A callback that stops training leaves the context alive: Fit itself
	// must end the pass.
	src.open = make(chan int, 100)
	if _, err := m.FitSource(context.Background(), src, FitOptions{Verbose: Silent, BatchSize: 8,
		Callbacks: []Callback{&recorder{stopAt: 12}}}); err != nil {
		t.Fatal(err)
	}
	waitGoroutines(t, base)
	if open := <-src.open + <-src.open; open != 0 || len(src.open) > 0 {
		t.Errorf("the pass was not closed (%d open, %d more events)", open, len(src.open))
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
	d := streamData()
	disk := errors.New("disk on fire")
	m := imageModel(t, "categorical_crossentropy")
	base := goroutineBase(t, m)
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
