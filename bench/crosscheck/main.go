// Command crosscheck trains the reference FNN for a number of steps on the
// first CIFAR-10 images, in order, and writes its initial and final
// weights as raw little-endian float32 files. crosscheck.py then trains
// the same network from the same weights on the same batches with PyTorch
// autograd and Keras's Adam update, and compares: it shows that Anvil
// computes what Keras computes, step for step.
//
//	go run ./bench/crosscheck -steps 200 -out /tmp/xc
//	python3 bench/crosscheck/crosscheck.py /tmp/xc
package main

import (
	"context"
	"encoding/binary"
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/anvil-ml/anvil/cpuref"
	"github.com/anvil-ml/anvil/datasets"
	"github.com/anvil-ml/anvil/models"
	"github.com/anvil-ml/anvil/nn"
)

func main() {
	steps := flag.Int("steps", 200, "training steps of batch 32")
	dataDir := flag.String("data-dir", "", "folder holding CIFAR-10 (default: where train finds it, $ANVIL_DATA then /usr/share/datasets)")
	out := flag.String("out", "", "folder for w0.bin, w1.bin and run.txt")
	flag.Parse()
	if err := run(*steps, *dataDir, *out); err != nil {
		fmt.Fprintln(os.Stderr, "crosscheck:", err)
		os.Exit(1)
	}
}

func run(steps int, dataDir, out string) error {
	if out == "" || steps <= 0 {
		return fmt.Errorf("give -out DIR and a positive -steps")
	}
	dir, err := datasets.Locate("cifar10", dataDir)
	if err != nil {
		return err
	}
	train, _, err := datasets.LoadCIFAR10(dir)
	if err != nil {
		return err
	}
	train = train.Subset(32 * steps)
	m, err := models.FNN()
	if err != nil {
		return err
	}
	// The CPU reference backend: it is what PyTorch is checked against.
	if err := m.SetBackend(cpuref.New()); err != nil {
		return err
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}
	if err := dumpWeights(m, filepath.Join(out, "w0.bin")); err != nil {
		return err
	}
	if err := m.Compile(nn.Adam(0.0005), "categorical_crossentropy", "accuracy"); err != nil {
		return err
	}
	h, err := m.Fit(context.Background(), train.Features(), train.OneHot(), nn.FitOptions{BatchSize: 32, NoShuffle: true})
	if err != nil {
		return err
	}
	if err := dumpWeights(m, filepath.Join(out, "w1.bin")); err != nil {
		return err
	}
	summary := fmt.Sprintf("steps %d\nloss %.9g\naccuracy %.9g\ndata %s\n", steps, h.Metrics["loss"][0], h.Metrics["accuracy"][0], dataDir)
	fmt.Print(summary)
	return os.WriteFile(filepath.Join(out, "run.txt"), []byte(summary), 0o644)
}

// dumpWeights writes every weight in Keras order as little-endian float32.
func dumpWeights(m *nn.Model, path string) error {
	ws, err := m.GetWeights()
	if err != nil {
		return err
	}
	var all []float32
	for _, w := range ws {
		all = append(all, w.Data...)
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := binary.Write(f, binary.LittleEndian, all); err != nil {
		f.Close()
		return fmt.Errorf("%s: %w", path, err)
	}
	return f.Close()
}
