package cpuref_test

import (
	"context"
	"fmt"
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
		if _, err := m.Fit(context.Background(), xs, ys, nn.FitOptions{BatchSize: batch, Seed: 1}); err != nil {
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

// TestProfileTrain prints where a training step's time goes, op by op,
// when ANVIL_PROFILE names a model ("cnn" or "fnn") and a batch size,
// e.g. ANVIL_PROFILE=cnn/32.
func TestProfileTrain(t *testing.T) {
	spec := os.Getenv("ANVIL_PROFILE")
	if spec == "" {
		t.Skip("set ANVIL_PROFILE=cnn/32 to profile a training step")
	}
	model, bs, _ := strings.Cut(spec, "/")
	batch, err := strconv.Atoi(bs)
	if err != nil {
		t.Fatalf("ANVIL_PROFILE=%q: want model/batch", spec)
	}
	m, err := models.Build(model, models.CIFAR10)
	if err != nil {
		t.Fatal(err)
	}
	be, report := cpuref.NewProfiled()
	if err := m.SetBackend(be); err != nil {
		t.Fatal(err)
	}
	if err := m.Compile(nn.Adam(0.0005), "categorical_crossentropy", "accuracy"); err != nil {
		t.Fatal(err)
	}
	n := 16 * batch
	x, y := tensor.New(n, 32, 32, 3), tensor.New(n, 10)
	for i := 0; i < n; i++ {
		y.Data[i*10+i%10] = 1
	}
	if _, err := m.Fit(context.Background(), x, y, nn.FitOptions{BatchSize: batch, Seed: 1}); err != nil {
		t.Fatal(err)
	}
	t.Logf("%s, %d steps:\n%s", spec, n/batch, report())
}
