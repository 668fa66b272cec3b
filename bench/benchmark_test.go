package main

import (
	"context"
	"os"
	"testing"

	"github.com/anvil-ml/anvil/nn"
)

// Go benchmarks for benchstat: go test -run '^$' -bench . ./bench
// They run on the CPU backend and on every Vulkan device the build opens
// (CPU drivers such as lavapipe too when ANVIL_BENCH_LAVAPIPE=1).

// benchTargets are the backends the Go benchmarks cover.
func benchTargets(b *testing.B) []target {
	targets, _, err := newDiscovery(os.Getenv("ANVIL_BENCH_LAVAPIPE") == "1").run(os.Stderr)
	if err != nil {
		b.Fatal(err)
	}
	return targets
}

// BenchmarkKernel times each kernel of the -quick suite (the reference
// models' shapes at batch 32) as one Program.Run, and reports GFLOP/s or
// GB/s.
func BenchmarkKernel(b *testing.B) {
	for _, t := range benchTargets(b) {
		for _, c := range kernelCases(quickScale()) {
			b.Run(t.Label+"/"+c.Name, func(b *testing.B) { benchKernel(b, t, c) })
		}
	}
}

func benchKernel(b *testing.B, t target, c kernelCase) {
	k, err := prepareKernel(t.Backend, c.Build())
	if err != nil {
		b.Skip(err)
	}
	defer k.prog.Close()
	for b.Loop() {
		if err := k.run(); err != nil {
			b.Fatal(err)
		}
	}
	secs := b.Elapsed().Seconds() / float64(b.N)
	if c.Flops > 0 {
		b.ReportMetric(c.Flops/secs/1e9, "GFLOP/s")
	} else {
		b.ReportMetric(c.Bytes/secs/1e9, "GB/s")
	}
}

// BenchmarkTrainStepFNN is one Fit call over one batch of 32 images of the
// reference FNN: a training step as Fit runs it.
func BenchmarkTrainStepFNN(b *testing.B) { benchTrainStep(b, "fnn") }

// BenchmarkTrainStepCNN is BenchmarkTrainStepFNN for the reference CNN.
func BenchmarkTrainStepCNN(b *testing.B) { benchTrainStep(b, "cnn") }

// BenchmarkPredictFNN is one Predict call over 32 images of the reference FNN.
func BenchmarkPredictFNN(b *testing.B) { benchPredict(b, "fnn") }

// BenchmarkPredictCNN is BenchmarkPredictFNN for the reference CNN.
func BenchmarkPredictCNN(b *testing.B) { benchPredict(b, "cnn") }

const benchBatch = 32

func benchTrainStep(b *testing.B, model string) {
	for _, t := range benchTargets(b) {
		b.Run(t.Label, func(b *testing.B) {
			run := e2eRun{model: model, batch: benchBatch, target: t, data: syntheticImages(benchBatch), modes: []string{"train"}}
			m, _, err := run.compile()
			if err != nil {
				b.Fatal(err)
			}
			defer m.Close()
			d := run.data.head(benchBatch)
			opts := nn.FitOptions{Verbose: nn.Silent, BatchSize: benchBatch, Seed: 1}
			if _, err := m.FitData(context.Background(), d, opts); err != nil {

				b.Skip(err) // compiles the program; a backend lacking an op skips
			}
			for b.Loop() {
				if _, err := m.FitData(context.Background(), d, opts); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(benchBatch*b.N)/b.Elapsed().Seconds(), "images/s")
		})
	}
}

func benchPredict(b *testing.B, model string) {
	for _, t := range benchTargets(b) {
		b.Run(t.Label, func(b *testing.B) {
			run := e2eRun{model: model, batch: benchBatch, target: t, data: syntheticImages(benchBatch), modes: []string{"train"}}
			m, _, err := run.compile()
			if err != nil {
				b.Fatal(err)
			}
			defer m.Close()
			d := run.data.head(benchBatch)
			if _, err := m.PredictData(d, benchBatch); err != nil {
				b.Skip(err)
			}
			for b.Loop() {
				if _, err := m.PredictData(d, benchBatch); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(benchBatch*b.N)/b.Elapsed().Seconds(), "images/s")
		})
	}
}
