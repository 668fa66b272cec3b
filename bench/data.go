package main

import (
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"

	"github.com/anvil-ml/anvil/datasets"
	"github.com/anvil-ml/anvil/nn"
	"github.com/anvil-ml/anvil/tensor"
)

// images is what the end-to-end section trains on, kept as a training
// program keeps CIFAR-10: bytes and class labels (nn.Data scales and
// one-hot encodes them on the backend).
type images struct {
	X      *tensor.Bytes // [n, 32, 32, 3]
	Labels []int         // 0..9
	Source string        // the file read, or "synthetic"
}

// cifarRecord is the size of one CIFAR-10 binary record: label and pixels.
const cifarRecord = 1 + 32*32*3

// maxImages is how many images one CIFAR-10 batch file holds; the
// end-to-end section never needs more.
const maxImages = 10_000

// loadImages returns n images (at most maxImages): the first n of
// CIFAR-10's data_batch_1.bin in dir when it can be read, else random
// images, with a note saying why. dir is empty when CIFAR-10 was not found
// (see options.locateData). Reading one batch file rather than the whole
// set keeps the suite's memory at a sixth of LoadCIFAR10's, with the same
// decoder.
func loadImages(dir string, synthetic bool, n int) (*images, string) {
	n = min(n, maxImages)
	if synthetic {
		return syntheticImages(n), "synthetic images (-synthetic)"
	}
	if dir == "" {
		return syntheticImages(n), fmt.Sprintf("synthetic images: CIFAR-10 not found; set -data-dir or $%s", datasets.EnvDataDir)
	}
	im, err := readCIFAR(filepath.Join(dir, "data_batch_1.bin"), n)
	if err != nil {
		return syntheticImages(n), fmt.Sprintf("synthetic images: CIFAR-10 not read (%v); set -data-dir or $%s", err, datasets.EnvDataDir)
	}
	return im, ""
}

// readCIFAR decodes the first n records of a CIFAR-10 batch file.
func readCIFAR(path string, n int) (*images, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	buf := make([]byte, n*cifarRecord)
	got, err := io.ReadFull(f, buf)
	if err != nil && err != io.ErrUnexpectedEOF {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	if got < cifarRecord {
		return nil, fmt.Errorf("%s holds no whole CIFAR-10 record", path)
	}
	set, err := datasets.ParseCIFARBatch(buf[:got-got%cifarRecord], path)
	if err != nil {
		return nil, err
	}
	return &images{X: set.Images, Labels: set.Labels, Source: path}, nil
}

// syntheticImages are uniform random pixels with random labels.
func syntheticImages(n int) *images {
	rng := rand.New(rand.NewPCG(7, 11))
	x := &tensor.Bytes{Shape: tensor.Shape{n, 32, 32, 3}, Data: make([]uint8, n*32*32*3)}
	for i := range x.Data {
		x.Data[i] = uint8(rng.IntN(256))
	}
	labels := make([]int, n)
	for i := range labels {
		labels[i] = rng.IntN(10)
	}
	return &images{X: x, Labels: labels, Source: "synthetic"}
}

// head returns the first n images and their labels, sharing memory.
func (im *images) head(n int) nn.Data {
	n = min(n, im.X.Rows())
	return nn.Data{Bytes: []*tensor.Bytes{im.X.Head(n)}, Labels: im.Labels[:n:n]}
}
