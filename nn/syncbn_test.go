package nn

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"
	"sync"
	"testing"

	"github.com/anvil-ml/anvil/tensor"
)

// syncBNModel is a small CNN with batch normalization after a convolution
// (4-D input: the moving variance takes the unbiased variance) and after a
// Dense layer, and dropout. Layers are named so that every copy has the
// same dropout salts. The layers before batch normalization have no bias
// (as usual: normalization cancels it): its gradient would be rounding
// noise, which Adam scales up to steps of the learning rate, and the test
// would compare noise.
func syncBNModel(t *testing.T, opts ...Option) *Model {
	t.Helper()
	return compiledClassifier(t,
		Conv2D(4, 3, WithPadding("same"), WithInputShape(6, 6, 2), WithName("conv"), WithUseBias(false)),
		BatchNormalization(append([]Option{WithName("bn1")}, opts...)...),
		Activation("relu", WithName("relu")),
		Flatten(WithName("flat")),
		Dense(8, WithName("d"), WithUseBias(false)),
		BatchNormalization(append([]Option{WithName("bn2"), WithMomentum(0.9)}, opts...)...),
		Dropout(0.3, WithName("drop")),
		Dense(3, WithActivation("softmax"), WithName("out")))
}

// syncBNData is n images of 6×6×2 in 3 classes, with a channel offset so
// that the batch mean matters.
func syncBNData(n int) (x, y *tensor.Tensor) {
	return noisyClasses(n, 9, 2, 0.5, 6, 6, 2)
}

// TestSyncBatchNormMatchesOneProcess trains 2 replicas × batch 8 with
// synchronized batch normalization and one process × batch 16 from the
// same weights and seed: they must take the same steps (loss, metrics and
// every weight, the moving statistics included). 49 samples make the last
// global batch one row, which replica 0 gets none of: it must still join
// the exchanges. Per-replica statistics (the default) must not match,
// which shows the comparison can fail.
func TestSyncBatchNormMatchesOneProcess(t *testing.T) {
	for _, c := range []struct {
		name   string
		opts   []Option
		fit    FitOptions
		synced bool
		mixed  bool
	}{
		{"layer option", []Option{WithSynchronized(true)}, FitOptions{}, true, false},
		{"fit option", nil, FitOptions{SyncBatchNorm: true}, true, false},
		{"mixed precision", nil, FitOptions{SyncBatchNorm: true}, true, true},
		{"per-replica", nil, FitOptions{}, false, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			build := func(t *testing.T) *Model {
				m := syncBNModel(t, c.opts...)
				if c.mixed {
					// The loss scale multiplies every DY: the exchanged sums
					// carry it as the replica's own would.
					if err := m.SetPrecision(PolicyMixedFloat16); err != nil {
						t.Fatal(err)
					}
				}
				return m
			}
			d, dl := syncBNDiff(t, build, c.fit)
			// Tolerance: the runs differ in the order of additions (the
			// statistics combined from two replicas in float64 and rounded
			// once more, the gradient halves scaled and summed), ~1e-7
			// relative per step. Adam divides by √v, which amplifies that
			// where a gradient is tiny; over 12 steps (measured: 2e-7 in
			// the weights, 4e-8 in the logs; 7e-7 and 2e-7 under mixed
			// precision) we allow 1e-5 on weights of
			// order 0.1–1 and 1e-5 relative in the logs. Per-replica
			// statistics move the weights by 1e-2 or more.
			const tol, ltol = 1e-5, 1e-5
			t.Logf("max weight difference %.3g, loss %.3g", d, dl)
			if c.synced && (d > tol || dl > ltol) {
				t.Errorf("replicas differ from one process by %.3g in the weights and %.3g in the logs, want ≤ %g and %g", d, dl, tol, ltol)
			}
			if !c.synced && d < 100*tol {
				t.Errorf("per-replica statistics differ from one process by only %.3g: the comparison cannot tell them apart", d)
			}
		})
	}
}

// syncBNDiff trains build's model as one process (batch 16) and as 2
// replicas (batch 8 each) with fit's options and returns the largest
// weight difference and the largest relative difference in the logs.
func syncBNDiff(t *testing.T, build func(*testing.T) *Model, fit FitOptions) (float64, float64) {
	ClearSession()
	x, y := syncBNData(49)
	vx, vy := syncBNData(20)
	o := fit
	o.BatchSize, o.Epochs, o.Seed, o.Verbose = 16, 3, 13, Silent
	h1, want, h2, ws := fitOneAndReplicas(t, build, 2, x, y, vx, vy, o)
	if !sameWeights(ws[0], ws[1]) {
		t.Error("the replicas' weights differ: every replica must apply the same updates")
	}
	d := 0.0
	for i := range want {
		d = math.Max(d, maxAbsDiff(want[i].Data, ws[0][i].Data))
	}
	dl := 0.0
	for _, key := range []string{"loss", "accuracy", "val_loss", "val_accuracy"} {
		for e := range h1.Metrics[key] {
			a, b := h1.Metrics[key][e], h2.Metrics[key][e]
			dl = math.Max(dl, math.Abs(a-b)/math.Max(1, math.Abs(a)))
		}
	}
	return d, dl
}

// TestSyncBatchNormJSON checks Keras's synchronized key: exported when on
// (absent means false to Keras, and leaves the files of models without it
// as they were), read back, and a non-boolean rejected with the key named.
func TestSyncBatchNormJSON(t *testing.T) {
	ClearSession()
	for _, on := range []bool{false, true} {
		m := syncBNModel(t, WithSynchronized(on))
		data, err := m.ToJSON()
		if err != nil {
			t.Fatal(err)
		}
		want := 0
		if on {
			want = 2 // once per BatchNormalization
		}
		if got := strings.Count(string(data), `"synchronized":true`); got != want || strings.Contains(string(data), `"synchronized":false`) {
			t.Fatalf("synchronized=%v: the export has \"synchronized\":true %d times, want %d, and never false:\n%s", on, got, want, data)
		}
		back, err := ModelFromJSON(data)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, l := range back.Layers() {
			if bn, ok := l.(*batchNormLayer); ok {
				n++
				if bn.cfg.synchronized != on {
					t.Errorf("layer %s read back with synchronized=%v, want %v", bn.name, bn.cfg.synchronized, on)
				}
			}
		}
		if n != 2 {
			t.Fatalf("%d BatchNormalization layers read back, want 2", n)
		}
		if on {
			bad := strings.Replace(string(data), `"synchronized":true`, `"synchronized":"yes"`, 1)
			if _, err := ModelFromJSON([]byte(bad)); err == nil || !strings.Contains(err.Error(), "synchronized") {
				t.Errorf("synchronized \"yes\": %v, want an error naming the key", err)
			}
		}
	}
}

// TestSyncBatchNormStopsAndResumes cancels one replica of a synchronized
// run: both stop after the same step, and resuming there gives the
// weights of the uninterrupted synchronized run, bit for bit (the
// exchanges hold no state between steps).
func TestSyncBatchNormStopsAndResumes(t *testing.T) {
	ClearSession()
	x, y := syncBNData(49)
	build := func(t *testing.T) *Model { return syncBNModel(t, WithSynchronized(true)) }
	ref := build(t)
	init, err := ref.GetWeights()
	if err != nil {
		t.Fatal(err)
	}
	o := FitOptions{BatchSize: 16, Epochs: 2, Seed: 4, Verbose: Silent}
	_, want := fitReplicasOf(t, build, init, 2, x, y, nil, nil, o)
	w := newFakeWorld(2)
	models := []*Model{build(t), build(t)}
	stops := make([]*Interrupted, 2)
	run := func(resume *Interrupted) [][]*tensor.Tensor {
		got := make([][]*tensor.Tensor, 2)
		var wg sync.WaitGroup
		for r, m := range models {
			ctx, cancel := context.WithCancel(context.Background())
			if r == 1 && resume == nil {
				cancel() // only replica 1 is told to stop
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer cancel()
				ro := o
				ro.Parallel = fakeComm{w: w, rank: r}
				if resume != nil {
					ro.InitialEpoch, ro.InitialStep, ro.InitialSums = resume.Epoch, resume.Step, resume.Sums
				}
				_, err := m.Fit(ctx, x, y, ro)
				if resume == nil && !errors.As(err, &stops[r]) || resume != nil && err != nil {
					t.Errorf("replica %d (resuming %v): %v", r, resume != nil, err)
					w.fail()
				}
				got[r], _ = m.GetWeights()
			}()
		}
		wg.Wait()
		return got
	}
	for _, m := range models {
		if err := m.SetWeights(init); err != nil {
			t.Fatal(err)
		}
	}
	run(nil)
	if t.Failed() {
		return
	}
	if a, b := stops[0], stops[1]; a.Step != 1 || b.Step != 1 || fmt.Sprint(a.Sums) != fmt.Sprint(b.Sums) {
		t.Fatalf("replicas stopped after steps %d and %d with sums %v and %v, want both after step 1 with equal sums", a.Step, b.Step, a.Sums, b.Sums)
	}
	got := run(stops[0])
	if !t.Failed() && (!sameWeights(got[0], want[0]) || !sameWeights(got[1], want[1])) {
		t.Error("stopping and resuming changed the weights of a synchronized 2-replica run")
	}
}

// TestSyncBatchNormSegments checks the cut of TrainGrad: none without a
// synchronized layer or with one replica (where TrainGrad is Train's
// gradient half, op for op), and 2k exchanges (2k+1 segments) for k
// synchronized layers, in a plan the backends accept.
func TestSyncBatchNormSegments(t *testing.T) {
	ClearSession()
	for _, c := range []struct {
		name      string
		opts      []Option
		sync      bnSync
		exchanges int
	}{
		{"default", nil, bnSyncLayers, 0},
		{"one replica", []Option{WithSynchronized(true)}, bnSyncNone, 0},
		{"layer option", []Option{WithSynchronized(true)}, bnSyncLayers, 4},
		{"fit option", nil, bnSyncAll, 4},
	} {
		t.Run(c.name, func(t *testing.T) {
			m := syncBNModel(t, c.opts...)
			low := m.lower(16, m.defaultSpecs())
			half := low.plan.Routines[tensor.Train][:low.applyStart]
			splitSyncBN(low.plan, half, m.syncBNLayers(low, c.sync))
			if got := len(low.plan.Exchanges); got != c.exchanges {
				t.Fatalf("%d exchanges, want %d", got, c.exchanges)
			}
			if got := len(low.plan.Segments()); got != c.exchanges+1 {
				t.Errorf("%d segments, want %d", got, c.exchanges+1)
			}
			if _, err := tensor.NewContract(low.plan); err != nil {
				t.Fatalf("the split plan is invalid: %v", err)
			}
			if c.exchanges == 0 && fmt.Sprint(low.plan.Routines[tensor.TrainGrad]) != fmt.Sprint(half) {
				t.Error("without synchronized layers TrainGrad is not Train's gradient half")
			}
		})
	}
}

// TestSyncBatchNormOneReplica: a synchronized layer in a data-parallel
// Fit of one replica trains exactly as one process does, bit for bit.
func TestSyncBatchNormOneReplica(t *testing.T) {
	ClearSession()
	x, y := syncBNData(40)
	build := func(t *testing.T) *Model { return syncBNModel(t, WithSynchronized(true)) }
	ref := build(t)
	init, err := ref.GetWeights()
	if err != nil {
		t.Fatal(err)
	}
	o := FitOptions{BatchSize: 16, Epochs: 2, Seed: 3, Verbose: Silent, SyncBatchNorm: true}
	if _, err := ref.Fit(context.Background(), x, y, o); err != nil {
		t.Fatal(err)
	}
	want, err := ref.GetWeights()
	if err != nil {
		t.Fatal(err)
	}
	if _, got := fitReplicasOf(t, build, init, 1, x, y, nil, nil, o); !sameWeights(want, got[0]) {
		t.Error("one synchronized replica trains differently from one process")
	}
}
