package cpuref_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/anvil-ml/anvil/examples/reference"
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
	m, err := reference.Build(model, reference.CIFAR10)
	if err != nil {
		b.Fatal(err)
	}
	defer m.Close()
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
	for i := 0; i < b.N; i++ {
		fit(n)
	}
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "img/s")
}
