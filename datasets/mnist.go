package datasets

import (
	"fmt"
	"os"
	"slices"
	"sync"

	"github.com/anvil-ml/anvil/tensor"
)

// MNISTClassNames names the MNIST classes, the digits in label order.
var MNISTClassNames = []string{"0", "1", "2", "3", "4", "5", "6", "7", "8", "9"}

// FashionMNISTClassNames names the Fashion-MNIST classes in label order.
var FashionMNISTClassNames = []string{
	"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
	"Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
}

// idxDefaultClasses bounds labels when LoadIDX is given no class names.
const idxDefaultClasses = 10

// LoadMNIST reads MNIST from the four IDX files in dir; see LoadIDX.
func LoadMNIST(dir string) (train, test *Set, err error) {
	return LoadIDX(dir, MNISTClassNames)
}

// LoadFashionMNIST reads Fashion-MNIST from the four IDX files in dir, as
// Debian's dataset-fashion-mnist installs them in
// /usr/share/datasets/fashion-mnist; see LoadIDX.
func LoadFashionMNIST(dir string) (train, test *Set, err error) {
	return LoadIDX(dir, FashionMNISTClassNames)
}

// LoadIDX reads an MNIST-style data set from dir: train-images-idx3-ubyte,
// train-labels-idx1-ubyte, t10k-images-idx3-ubyte and t10k-labels-idx1-ubyte,
// each optionally gzipped (.gz). Images come back as [N, H, W, 1] float32
// scaled to 0..1. Labels must lie below len(classNames), or below 10 when
// classNames is nil, and their count must match the images'.
func LoadIDX(dir string, classNames []string) (train, test *Set, err error) {
	classes := len(classNames)
	if classNames == nil {
		classes = idxDefaultClasses
	}
	var wg sync.WaitGroup
	var testErr error
	// Gunzipping dominates; the two halves decode in parallel.
	wg.Go(func() { test, testErr = loadIDXPair(dir, "t10k", classes) })
	train, err = loadIDXPair(dir, "train", classes)
	wg.Wait()
	if err == nil {
		err = testErr
	}
	if err != nil {
		return nil, nil, err
	}
	// Copies, so that changing a set's names cannot change the package's.
	train.ClassNames = slices.Clone(classNames)
	test.ClassNames = slices.Clone(classNames)
	return train, test, nil
}

// loadIDXPair reads <prefix>-images-idx3-ubyte and <prefix>-labels-idx1-ubyte.
func loadIDXPair(dir, prefix string, classes int) (*Set, error) {
	images, imgPath, err := readIDXFile(dir, prefix+"-images-idx3-ubyte")
	if err != nil {
		return nil, err
	}
	labels, lblPath, err := readIDXFile(dir, prefix+"-labels-idx1-ubyte")
	if err != nil {
		return nil, err
	}
	if len(images.Dims) != 3 {
		return nil, fmt.Errorf("datasets: %s: %w: images have %d dimensions (%s), want 3 (count x rows x columns)",
			imgPath, ErrFormat, len(images.Dims), fmtDims(images.Dims))
	}
	if len(labels.Dims) != 1 {
		return nil, fmt.Errorf("datasets: %s: %w: labels have %d dimensions (%s), want 1 (count)",
			lblPath, ErrFormat, len(labels.Dims), fmtDims(labels.Dims))
	}
	n, h, w := images.Dims[0], images.Dims[1], images.Dims[2]
	if labels.Dims[0] != n {
		return nil, fmt.Errorf("datasets: %s: %w: %d labels, but %s has %d images",
			lblPath, ErrFormat, labels.Dims[0], imgPath, n)
	}
	lbl := make([]int, n)
	const labelsAt = 8 // magic and one dimension
	for i, b := range labels.Data {
		if int(b) >= classes {
			return nil, fmt.Errorf("datasets: %s: %w: label %d at offset %d (example %d), want 0..%d",
				lblPath, ErrFormat, b, labelsAt+i, i, classes-1)
		}
		lbl[i] = int(b)
	}
	x := &tensor.Bytes{Shape: tensor.Shape{n, h, w, 1}, Data: images.Data[: n*h*w : n*h*w]}
	return &Set{Images: x, Labels: lbl, Source: imgPath}, nil
}

// readIDXFile opens base or base.gz in dir and decodes it.
func readIDXFile(dir, base string) (*IDX, string, error) {
	path := findFile(dir, []string{base, base + ".gz"})
	if path == "" {
		return nil, "", fmt.Errorf("datasets: %s: %w: neither %s nor %s.gz is a file there",
			dir, os.ErrNotExist, base, base)
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, "", fmt.Errorf("datasets: %w", err)
	}
	defer f.Close()
	idx, err := ReadIDX(f, path)
	if err != nil {
		return nil, "", err
	}
	return idx, path, nil
}
