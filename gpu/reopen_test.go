package gpu_test

import (
	"context"
	"errors"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/anvil-ml/anvil/gpu"
	"github.com/anvil-ml/anvil/nn"
	"github.com/anvil-ml/anvil/tensor"
)

// newBackend opens the backend the environment selects, skipping without
// Vulkan unless ANVIL_REQUIRE_VULKAN=1. The caller closes it.
func newBackend(t *testing.T) *gpu.Backend {
	t.Helper()
	b, err := gpu.NewBackend(gpu.Options{})
	if errors.Is(err, gpu.ErrUnavailable) && os.Getenv("ANVIL_REQUIRE_VULKAN") != "1" {
		t.Skipf("no Vulkan (set ANVIL_REQUIRE_VULKAN=1 to fail instead): %v", err)
	}
	if err != nil {
		t.Fatalf("NewBackend: %v", err)
	}
	return b
}

// TestReopen opens and closes a backend 200 times, compiling and running a
// one-op plan on each, as a long test run or a server does. On NVIDIA's
// driver the 31st instance of a process failed once the last one was
// destroyed; the process now keeps one instance for every device.
func TestReopen(t *testing.T) {
	const cycles = 200
	p := tensor.NewPlan(1)
	x := p.AddBuffer("x", tensor.ActivationBuffer, true, tensor.Shape{4})
	p.Emit(tensor.Predict, tensor.Activation{Fn: tensor.ReLU, X: x, Y: x, Size: 4})
	start := time.Now()
	for i := range cycles {
		b := newBackend(t)
		prog, err := b.Compile(p)
		if err != nil {
			b.Close()
			t.Fatalf("cycle %d: Compile: %v", i, err)
		}
		got := make([]float32, 4)
		err = errors.Join(prog.Write(x, []float32{-1, 2, -3, 4}), prog.Run(tensor.Predict, tensor.StepArgs{Rows: 1}),
			prog.Read(x, got), prog.Close())
		if err != nil || got[0] != 0 || got[1] != 2 || got[2] != 0 || got[3] != 4 {
			b.Close()
			t.Fatalf("cycle %d: relu(-1, 2, -3, 4) = %v, %v; want [0 2 0 4]", i, got, err)
		}
		if err := b.Close(); err != nil {
			t.Fatalf("cycle %d: Close: %v", i, err)
		}
	}
	t.Logf("%d open/compile/run/close cycles in %v", cycles, time.Since(start))
}

// xorModel is a small classifier built on the CPU side; weights depend only
// on the global seed and the layer names, which ClearSession resets.
func xorModel(t *testing.T) *nn.Model {
	t.Helper()
	nn.ClearSession()
	m, err := nn.NewSequential(nn.Dense(8, nn.WithActivation("tanh"), nn.WithInputShape(2)),
		nn.Dense(1, nn.WithActivation("sigmoid")))
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Compile(&nn.SGDOptimizer{LR: 0.5, Momentum: 0.9}, "binary_crossentropy", "accuracy"); err != nil {
		t.Fatal(err)
	}
	return m
}

// train fits m on XOR on its own backend and returns the final weights,
// flattened, and the last loss.
func train(m *nn.Model, b tensor.Backend, seed uint64) ([]float32, float64, error) {
	if err := m.SetBackend(b); err != nil {
		return nil, 0, err
	}
	defer m.Close()
	x, err := tensor.FromData([]float32{0, 0, 0, 1, 1, 0, 1, 1}, 4, 2)
	if err != nil {
		return nil, 0, err
	}
	y, err := tensor.FromData([]float32{0, 1, 1, 0}, 4, 1)
	if err != nil {
		return nil, 0, err
	}
	h, err := m.Fit(context.Background(), x, y, nn.FitOptions{Verbose: nn.Silent, Epochs: 200, BatchSize: 4, Seed: seed})
	if err != nil {
		return nil, 0, err
	}
	ws, err := m.GetWeights()
	if err != nil {
		return nil, 0, err
	}
	var flat []float32
	for _, w := range ws {
		flat = append(flat, w.Data...)
	}
	loss, _ := h.Last("loss")
	return flat, loss, nil
}

// run is one model's training: its weights and last loss, or its error.
type run struct {
	weights []float32
	loss    float64
	err     error
}

// trainPair trains two XOR models on two backends, one after the other or
// at the same time from two goroutines; each backend has its own device
// and programs.
func trainPair(t *testing.T, concurrent bool) [2]run {
	t.Helper()
	var models [2]*nn.Model
	var backends [2]*gpu.Backend
	for i := range models {
		models[i] = xorModel(t)
		backends[i] = openModelBackend(t)
	}
	var out [2]run
	var wg sync.WaitGroup
	for i := range models {
		do := func() {
			w, l, err := train(models[i], backends[i], uint64(i+1))
			out[i] = run{w, l, err}
		}
		if !concurrent {
			do()
			continue
		}
		wg.Add(1)
		go func() { defer wg.Done(); do() }()
	}
	wg.Wait()
	for i, r := range out {
		if r.err != nil {
			t.Fatalf("model %d: %v", i, r.err)
		}
	}
	return out
}

// TestTrainTwoModels trains two models one after the other, then the same
// two at the same time from two goroutines (go test -race covers the
// package's shared state). Each must learn XOR, and the concurrent runs
// must give bit for bit the weights of the sequential ones: two devices
// share the process's Vulkan instance and nothing else.
func TestTrainTwoModels(t *testing.T) {
	seq := trainPair(t, false)
	con := trainPair(t, true)
	for i := range seq {
		if seq[i].loss > 0.1 {
			t.Errorf("model %d: loss %.4f after training, want < 0.1", i, seq[i].loss)
		}
		if len(seq[i].weights) != len(con[i].weights) {
			t.Fatalf("model %d: %d weights sequentially, %d concurrently", i, len(seq[i].weights), len(con[i].weights))
		}
		for j := range seq[i].weights {
			if seq[i].weights[j] != con[i].weights[j] {
				t.Errorf("model %d weight %d: %v sequentially, %v concurrently", i, j, seq[i].weights[j], con[i].weights[j])
				break
			}
		}
	}
}
