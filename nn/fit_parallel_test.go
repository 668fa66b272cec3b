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

// fakeWorld is an in-process communicator for data-parallel tests: size
// goroutines, one per replica, meet in each collective. Every replica
// combines the contributions in rank order, so all get the same result,
// as MPI guarantees.
type fakeWorld struct {
	size    int
	mu      sync.Mutex
	cond    *sync.Cond
	round   [][]float64
	arrived int
	gen     int
	result  [][]float64
	failed  bool
}

func newFakeWorld(size int) *fakeWorld {
	w := &fakeWorld{size: size}
	w.cond = sync.NewCond(&w.mu)
	return w
}

var errPeerFailed = errors.New("fake communicator: another replica failed")

// exchange hands in rank's data and returns every replica's, by rank.
func (w *fakeWorld) exchange(rank int, data []float64) ([][]float64, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.failed {
		return nil, errPeerFailed
	}
	if w.round == nil {
		w.round = make([][]float64, w.size)
	}
	w.round[rank] = data
	w.arrived++
	gen := w.gen
	if w.arrived == w.size {
		w.result, w.round, w.arrived = w.round, nil, 0
		w.gen++
		w.cond.Broadcast()
	}
	for gen == w.gen && !w.failed {
		w.cond.Wait()
	}
	if gen == w.gen {
		return nil, errPeerFailed
	}
	return w.result, nil
}

// fail releases the replicas waiting for one that stopped.
func (w *fakeWorld) fail() {
	w.mu.Lock()
	w.failed = true
	w.cond.Broadcast()
	w.mu.Unlock()
}

type fakeComm struct {
	w    *fakeWorld
	rank int
}

func (c fakeComm) Rank() int { return c.rank }
func (c fakeComm) Size() int { return c.w.size }

func (c fakeComm) AllreduceSumFloat32(buf []float32) error {
	all, err := c.w.exchange(c.rank, f32to64(buf))
	if err != nil {
		return err
	}
	for i := range buf {
		var s float32
		for _, part := range all {
			s += float32(part[i])
		}
		buf[i] = s
	}
	return nil
}

func (c fakeComm) AllreduceSumFloat64(buf []float64) error {
	all, err := c.w.exchange(c.rank, append([]float64(nil), buf...))
	if err != nil {
		return err
	}
	for i := range buf {
		buf[i] = 0
		for _, part := range all {
			buf[i] += part[i]
		}
	}
	return nil
}

func (c fakeComm) BcastFloat32(buf []float32, root int) error {
	all, err := c.w.exchange(c.rank, f32to64(buf))
	if err != nil {
		return err
	}
	for i := range buf {
		buf[i] = float32(all[root][i])
	}
	return nil
}

func f32to64(a []float32) []float64 {
	out := make([]float64, len(a))
	for i, v := range a {
		out[i] = float64(v)
	}
	return out
}

// parallelModel is a small classifier with dropout (so the test also checks
// that each replica draws its rows' masks) and no batch normalisation.
// Layers are named so that every copy has the same dropout salts.
func parallelModel(t *testing.T) *Model {
	t.Helper()
	return compiledClassifier(t,
		Dense(24, WithActivation("relu"), WithInputShape(10), WithName("d1")),
		Dropout(0.3, WithName("drop")),
		Dense(3, WithActivation("softmax"), WithName("out")))
}

// compiledClassifier is a Sequential model of layers compiled with Adam
// (learning rate 0.01), categorical cross-entropy and accuracy.
func compiledClassifier(t *testing.T, layers ...Layer) *Model {
	t.Helper()
	m, err := NewSequential(layers...)
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Compile(Adam(0.01), "categorical_crossentropy", "accuracy"); err != nil {
		t.Fatal(err)
	}
	return m
}

// blobs is n samples of 10 features in 3 noisy classes.
func blobs(n int) (x, y *tensor.Tensor) {
	return noisyClasses(n, 5, 1, 0, 10)
}

// noisyClasses is n samples of the given shape in 3 classes (sample i in
// class i%3): features uniform in [-1, 1) plus offset, drawn from the
// stream (seed, salt), with 1 added to those of the sample's class (the
// channel groups, the last dimension, of every third position).
func noisyClasses(n int, seed uint64, salt uint32, offset float32, shape ...int) (x, y *tensor.Tensor) {
	x, y = tensor.New(append([]int{n}, shape...)...), tensor.New(n, 3)
	size, ch := 1, shape[len(shape)-1]
	for _, d := range shape {
		size *= d
	}
	rng := tensor.NewStream(seed, salt)
	for i := 0; i < n; i++ {
		c := i % 3
		for j := 0; j < size; j++ {
			x.Data[i*size+j] = float32(rng.Float64()*2-1) + offset
			if (j/ch)%3 == c {
				x.Data[i*size+j] += 1
			}
		}
		y.Data[i*3+c] = 1
	}
	return x, y
}

// fitReplicas trains copies of m's weights as size replicas of a global
// batch and returns replica 0's history and every replica's weights.
func fitReplicas(t *testing.T, init []*tensor.Tensor, size int, x, y, vx, vy *tensor.Tensor, o FitOptions) (*History, [][]*tensor.Tensor) {
	return fitReplicasOf(t, parallelModel, init, size, x, y, vx, vy, o)
}

// fitReplicasOf is fitReplicas with the replicas' model made by build.
func fitReplicasOf(t *testing.T, build func(*testing.T) *Model, init []*tensor.Tensor, size int, x, y, vx, vy *tensor.Tensor,
	o FitOptions) (*History, [][]*tensor.Tensor) {
	models := make([]*Model, size)
	opts := make([]FitOptions, size)
	for r := range size {
		models[r] = build(t)
		if err := models[r].SetWeights(init); err != nil {
			t.Fatal(err)
		}
		opts[r] = o
		opts[r].ValidationX, opts[r].ValidationY = vx, vy
	}
	hs := fitTogether(t, models, x, y, opts)
	ws := make([][]*tensor.Tensor, size)
	for r, m := range models {
		ws[r] = weightsOf(t, m)
	}
	return hs[0], ws
}

// fitTogether trains models as the replicas of one data-parallel run,
// replica r with opts[r] (its Parallel set here), and fails on any error.
// It returns each replica's history.
func fitTogether(t *testing.T, models []*Model, x, y *tensor.Tensor, opts []FitOptions) []*History {
	t.Helper()
	w := newFakeWorld(len(models))
	hs := make([]*History, len(models))
	errs := make([]error, len(models))
	var wg sync.WaitGroup
	for r, m := range models {
		ro := opts[r]
		ro.Parallel = fakeComm{w: w, rank: r}
		wg.Add(1)
		go func() {
			defer wg.Done()
			if hs[r], errs[r] = m.Fit(context.Background(), x, y, ro); errs[r] != nil {
				w.fail()
			}
		}()
	}
	wg.Wait()
	for r, err := range errs {
		if err != nil {
			t.Fatalf("replica %d: %v", r, err)
		}
	}
	return hs
}

// fitOneAndReplicas trains build's model as one process and, from the
// same initial weights, as size replicas, both with o's options and
// validated on vx, vy (when not nil). It returns the one process's history
// and weights, and replica 0's history with every replica's weights.
func fitOneAndReplicas(t *testing.T, build func(*testing.T) *Model, size int, x, y, vx, vy *tensor.Tensor,
	o FitOptions) (h1 *History, want []*tensor.Tensor, h2 *History, ws [][]*tensor.Tensor) {
	t.Helper()
	ref := build(t)
	init := weightsOf(t, ref)
	one := o
	one.ValidationX, one.ValidationY = vx, vy
	h1, err := ref.Fit(context.Background(), x, y, one)
	if err != nil {
		t.Fatal(err)
	}
	want = weightsOf(t, ref)
	h2, ws = fitReplicasOf(t, build, init, size, x, y, vx, vy, o)
	return h1, want, h2, ws
}

// TestParallelMatchesOneProcess trains 2 replicas × batch 16 and one
// process × batch 32 from the same weights and seed, and checks that they
// take the same steps: the replicas' summed gradients are the global
// batch's mean gradient, and their dropout masks are the global rows'.
func TestParallelMatchesOneProcess(t *testing.T) {
	checkParallelMatches(t)
}

// TestParallelStreamedMatchesOneProcess is TestParallelMatchesOneProcess
// with the training set streamed in chunks of two global batches: each
// replica's rows must be its slice of the global batch within the chunk's
// slot (StepArgs.Start), on every chunk.
func TestParallelStreamedMatchesOneProcess(t *testing.T) {
	// A row is 40 bytes of features, 12 of targets and 4 of order: this
	// budget holds two chunks of 64 rows, and 203 rows must stream.
	t.Setenv("ANVIL_DATA_BUDGET", "7168")
	ClearSession()
	m := parallelModel(t)
	x, y := blobs(203)
	d, err := m.checkData(XY(x, y), "fit", true)
	if err != nil {
		t.Fatal(err)
	}
	if _, chunk, err := m.placement(d, 32); err != nil || chunk != 64 {
		t.Fatalf("placement: chunk %d (%v), want 64: the test no longer streams", chunk, err)
	}
	checkParallelMatches(t)
}

// checkParallelMatches is TestParallelMatchesOneProcess's body.
func checkParallelMatches(t *testing.T) {
	t.Helper()
	ClearSession()
	// 203 samples: the last global batch has 11 rows, split 5 + 6.
	x, y := blobs(203)
	vx, vy := blobs(37)
	o := FitOptions{BatchSize: 32, Epochs: 3, Seed: 11}
	h1, want, h2, ws := fitOneAndReplicas(t, parallelModel, 2, x, y, vx, vy, o)
	for r := 1; r < len(ws); r++ {
		if !sameWeights(ws[0], ws[r]) {
			t.Errorf("replica %d's weights differ from replica 0's: every replica must apply the same updates", r)
		}
	}
	// Tolerance: the two runs differ only in the order of float32
	// additions in the gradient sums (two half-batch sums scaled by 1/2
	// and added, against one sum): about 1e-7 relative per step. Adam
	// divides by √v, which amplifies that where a gradient is tiny, so
	// after 21 steps (measured: 6e-8) we allow 1e-5 absolute on weights
	// of order 0.1–1. A wrong split (a replica's rows or dropout masks, or
	// a missing 1/2 scale) moves the weights by 1e-2 or more.
	const tol = 1e-5
	for i := range want {
		if d := maxAbsDiff(want[i].Data, ws[0][i].Data); d > tol {
			t.Errorf("weight %d: replicas differ from one process by %.3g, want ≤ %g", i, d, tol)
		}
	}
	for _, key := range []string{"loss", "accuracy", "val_loss", "val_accuracy"} {
		for e := range h1.Metrics[key] {
			a, b := h1.Metrics[key][e], h2.Metrics[key][e]
			if math.Abs(a-b) > 1e-4*math.Max(1, math.Abs(a)) {
				t.Errorf("epoch %d %s: one process %.7f, replicas %.7f", e+1, key, a, b)
			}
		}
	}
}

// TestParallelBadRank rejects a communicator whose rank is out of range.
func TestParallelBadRank(t *testing.T) {
	ClearSession()
	m := parallelModel(t)
	x, y := blobs(8)
	_, err := m.Fit(context.Background(), x, y, FitOptions{Parallel: fakeComm{w: newFakeWorld(2), rank: 2}})
	if err == nil || !strings.Contains(err.Error(), "rank 2 of 2 replicas is out of range") {
		t.Errorf("Fit with rank 2 of 2: %v", err)
	}
}

func maxAbsDiff(a, b []float32) float64 {
	d := 0.0
	for i := range a {
		d = math.Max(d, math.Abs(float64(a[i])-float64(b[i])))
	}
	return d
}

// TestParallelStopsTogetherAndResumes cancels one replica only: both stop
// after the same step with the same global sums, and resuming there gives
// the weights of an uninterrupted run, bit for bit.
func TestParallelStopsTogetherAndResumes(t *testing.T) {
	ClearSession()
	x, y := blobs(150)
	ref := parallelModel(t)
	init, err := ref.GetWeights()
	if err != nil {
		t.Fatal(err)
	}
	o := FitOptions{BatchSize: 32, Epochs: 2, Seed: 4}
	_, want := fitReplicas(t, init, 2, x, y, nil, nil, o)

	w := newFakeWorld(2)
	models := []*Model{parallelModel(t), parallelModel(t)}
	stops := make([]*Interrupted, 2)
	var wg sync.WaitGroup
	for r, m := range models {
		if err := m.SetWeights(init); err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		if r == 1 {
			cancel() // only replica 1 is told to stop
		}
		wg.Add(1)
		go func(r int, m *Model) {
			defer wg.Done()
			defer cancel()
			ro := o
			ro.Parallel = fakeComm{w: w, rank: r}
			_, err := m.Fit(ctx, x, y, ro)
			if !errors.As(err, &stops[r]) {
				t.Errorf("replica %d: %v, want Interrupted", r, err)
				w.fail()
			}
		}(r, m)
	}
	wg.Wait()
	if t.Failed() {
		return
	}
	a, b := stops[0], stops[1]
	if a.Epoch != b.Epoch || a.Step != b.Step || a.Step != 1 || fmt.Sprint(a.Sums) != fmt.Sprint(b.Sums) {
		t.Fatalf("replicas stopped at epoch %d step %d sums %v and epoch %d step %d sums %v, want both after step 1 with equal sums",
			a.Epoch, a.Step, a.Sums, b.Epoch, b.Step, b.Sums)
	}
	got := make([][]*tensor.Tensor, 2)
	for r, m := range models {
		wg.Add(1)
		go func(r int, m *Model) {
			defer wg.Done()
			ro := o
			ro.Parallel = fakeComm{w: w, rank: r}
			ro.InitialEpoch, ro.InitialStep, ro.InitialSums = a.Epoch, a.Step, a.Sums
			if _, err := m.Fit(context.Background(), x, y, ro); err != nil {
				t.Errorf("replica %d resuming: %v", r, err)
				w.fail()
				return
			}
			got[r], _ = m.GetWeights()
		}(r, m)
	}
	wg.Wait()
	if !t.Failed() && (!sameWeights(got[0], want[0]) || !sameWeights(got[1], want[1])) {
		t.Error("stopping and resuming changed the weights of a 2-replica run")
	}
}

// TestParallelBatchNormAveragesMovingStatistics trains a model with batch
// normalisation on 2 replicas: each normalises with its own rows, but the
// moving statistics are averaged after each epoch, so every replica ends
// with the same weights.
func TestParallelBatchNormAveragesMovingStatistics(t *testing.T) {
	ClearSession()
	build := func() *Model {
		return compiledClassifier(t, Dense(16, WithInputShape(10), WithName("d")), BatchNormalization(WithName("bn")),
			Dense(3, WithActivation("softmax"), WithName("out")))
	}
	x, y := blobs(100)
	w := newFakeWorld(2)
	ws := make([][]*tensor.Tensor, 2)
	hs := make([]*History, 2)
	models := []*Model{build(), build()}
	var wg sync.WaitGroup
	for r, m := range models {
		wg.Add(1)
		go func(r int, m *Model) {
			defer wg.Done()
			var err error
			hs[r], err = m.Fit(context.Background(), x, y, FitOptions{BatchSize: 32, Epochs: 2, Seed: 2, Parallel: fakeComm{w: w, rank: r}})
			if err != nil {
				t.Errorf("replica %d: %v", r, err)
				w.fail()
				return
			}
			ws[r], _ = m.GetWeights()
		}(r, m)
	}
	wg.Wait()
	if t.Failed() {
		return
	}
	if !sameWeights(ws[0], ws[1]) {
		t.Error("the replicas' weights differ after the epoch: the moving statistics were not averaged")
	}
	if l := hs[0].Metrics["loss"]; !(l[1] < l[0]) || fmt.Sprint(l) != fmt.Sprint(hs[1].Metrics["loss"]) {
		t.Errorf("losses %v and %v: want equal on both replicas, and falling", l, hs[1].Metrics["loss"])
	}
}
