package cpuref_test

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/anvil-ml/anvil/cpuref"
	"github.com/anvil-ml/anvil/models"
	"github.com/anvil-ml/anvil/nn"
	"github.com/anvil-ml/anvil/tensor"
)

// BenchmarkTrain measures end-to-end training throughput of the reference
// FNN and CNN on the CPU backend: nn.Model.Fit over synthetic CIFAR-shaped
// data, compiled as the tutorial compiles them (Adam, categorical
// cross-entropy, accuracy). One iteration is one Fit over steps batches.
func BenchmarkTrain(b *testing.B) {
	for _, model := range []string{"fnn", "cnn"} {
		for _, batch := range []int{32, 128, 512} {
			b.Run(fmt.Sprintf("%s/b%d", model, batch), func(b *testing.B) {
				benchFit(b, model, batch)
			})
		}
	}
}

func benchFit(b *testing.B, model string, batch int) {
	m, err := models.Build(model, models.CIFAR10)
	if err != nil {
		b.Fatal(err)
	}
	defer m.Close()
	if err := m.SetBackend(cpuref.New()); err != nil {
		b.Fatal(err)
	}
	if err := m.Compile(nn.Adam(0.0005), "categorical_crossentropy", "accuracy"); err != nil {
		b.Fatal(err)
	}
	steps := max(2, 2048/batch)
	n := steps * batch
	rng := rand.New(rand.NewPCG(1, 2))
	x := tensor.New(n, 32, 32, 3)
	for i := range x.Data {
		x.Data[i] = rng.Float32()
	}
	y := tensor.New(n, 10)
	for i := 0; i < n; i++ {
		y.Data[i*10+rng.IntN(10)] = 1
	}
	fit := func(rows int) {
		xs, err := tensor.FromData(x.Data[:rows*32*32*3], rows, 32, 32, 3)
		if err != nil {
			b.Fatal(err)
		}
		ys, err := tensor.FromData(y.Data[:rows*10], rows, 10)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := m.Fit(context.Background(), xs, ys, nn.FitOptions{Verbose: nn.Silent, BatchSize: batch, Seed: 1}); err != nil {
			b.Fatal(err)
		}
	}
	fit(2 * batch) // compile and warm up
	b.ResetTimer()
	start, cpu0 := time.Now(), cpuref.CPUTime()
	for i := 0; i < b.N; i++ {
		fit(n)
	}
	images := float64(n) * float64(b.N)
	b.ReportMetric(images/time.Since(start).Seconds(), "img/s")
	// Images per CPU second: what each core gets through while it runs,
	// which other jobs on a shared machine disturb much less.
	if cpu := cpuref.CPUTime() - cpu0; cpu > 0 {
		b.ReportMetric(images/cpu.Seconds(), "img/cpu-s")
	}
}

// TestProfileTrain checks the per-op profiler the performance notes use:
// timing every kernel must not change what training computes, so a model
// trained on the profiled backend ends with the same weights, bit for bit,
// as on the plain one, and the report must list the ops that ran. With
// ANVIL_PROFILE naming a model ("cnn" or "fnn") and a batch size, e.g.
// ANVIL_PROFILE=cnn/32, it profiles that run and logs the report (run with
// -v); without it, a quick fnn/8.
func TestProfileTrain(t *testing.T) {
	spec := os.Getenv("ANVIL_PROFILE")
	if spec == "" {
		spec = "fnn/8"
	}
	model, bs, _ := strings.Cut(spec, "/")
	batch, err := strconv.Atoi(bs)
	if err != nil {
		t.Fatalf("ANVIL_PROFILE=%q: want model/batch", spec)
	}
	n := 16 * batch
	x, y := tensor.New(n, 32, 32, 3), tensor.New(n, 10)
	for i := 0; i < n; i++ {
		x.Data[i*32*32*3+i%3072] = 1
		y.Data[i*10+i%10] = 1
	}
	profiledBE, report := cpuref.NewProfiled()
	plain := fitWeights(t, model, cpuref.New(), x, y, batch)
	timed := fitWeights(t, model, profiledBE, x, y, batch)
	for i := range plain {
		for j, v := range plain[i].Data {
			if w := timed[i].Data[j]; math.Float32bits(w) != math.Float32bits(v) {
				t.Fatalf("weight array %d element %d: %v profiled, %v plain", i, j, w, v)
			}
		}
	}
	r := report()
	if !strings.Contains(r, "MatMul") || !strings.Contains(r, "AdamUpdate") {
		t.Errorf("the report lacks the MatMul and AdamUpdate ops every reference model runs:\n%s", r)
	}
	t.Logf("%s, %d steps:\n%s", spec, n/batch, r)
}

// fitWeights trains the reference model on be for one epoch from seed 7's
// initial weights and returns the weights it ends with.
func fitWeights(t *testing.T, model string, be tensor.Backend, x, y *tensor.Tensor, batch int) []*tensor.Tensor {
	t.Helper()
	nn.ClearSession()
	nn.SetRandomSeed(7)
	m, err := models.Build(model, models.CIFAR10)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	if err := m.SetBackend(be); err != nil {
		t.Fatal(err)
	}
	if err := m.Compile(nn.Adam(0.0005), "categorical_crossentropy", "accuracy"); err != nil {
		t.Fatal(err)
	}
	if _, err := m.Fit(context.Background(), x, y, nn.FitOptions{Verbose: nn.Silent, BatchSize: batch, Seed: 1}); err != nil {
		t.Fatal(err)
	}
	w, err := m.GetWeights()
	if err != nil {
		t.Fatal(err)
	}
	return w
}
