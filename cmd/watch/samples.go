package main

import (
	"fmt"
	"image"
	"image/color"
	"math"
	"os"
	"path/filepath"

	"github.com/anvil-ml/anvil/datasets"
	"github.com/anvil-ml/anvil/nn"
	"github.com/anvil-ml/anvil/tensor"
)

// samples are the run's fixed test images, as pictures.
type samples struct {
	key    string // what they were loaded for: data set, folder, indices
	images []*image.RGBA
	err    error
}

// samplesKey names the images a start record asks for, so they are loaded
// again only when a new run asks for others.
func samplesKey(start *nn.LiveRecord, dataDir string) string {
	if start == nil || len(start.SampleIndices) == 0 {
		return ""
	}
	dir := dataDir
	if dir == "" {
		dir = start.Settings["data-dir"]
	}
	return fmt.Sprintf("%s|%s|%v", start.Settings["data"], dir, start.SampleIndices)
}

// loadSamples reads the test images at the start record's sample indices
// from the data set its settings name. dataDir, when set, overrides the
// folder the run used (a watcher on another machine keeps data elsewhere);
// datasets.Locate then also looks in $ANVIL_DATA. Only the sample's images
// are decoded, not the whole data set.
func loadSamples(start *nn.LiveRecord, dataDir string) samples {
	out := samples{key: samplesKey(start, dataDir)}
	name := start.Settings["data"]
	if dataDir == "" {
		dataDir = start.Settings["data-dir"]
	}
	dir, err := datasets.Locate(name, dataDir)
	if err == nil {
		if name == "cifar10" {
			out.images, err = cifarSamples(filepath.Join(dir, cifarTestFile), start.SampleIndices)
		} else {
			out.images, err = idxSamples(dir, start.SampleIndices)
		}
	}
	if err != nil {
		out.err = fmt.Errorf("sample images of %q: %w", name, err)
	}
	return out
}

// cifarTestFile is CIFAR-10's test batch; a record is a label byte and a
// 32×32 RGB image.
const (
	cifarTestFile = "test_batch.bin"
	cifarRecord   = 1 + 32*32*3
)

// cifarSamples reads the records at idx from a CIFAR-10 batch file and
// decodes them with the datasets parser.
func cifarSamples(path string, idx []int) ([]*image.RGBA, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	buf := make([]byte, len(idx)*cifarRecord)
	for i, j := range idx {
		if _, err := f.ReadAt(buf[i*cifarRecord:(i+1)*cifarRecord], int64(j)*cifarRecord); err != nil {
			return nil, fmt.Errorf("%s: test image %d: %w", path, j, err)
		}
	}
	set, err := datasets.ParseCIFARBatch(buf, path)
	if err != nil {
		return nil, err
	}
	return setImages(set.Features(), identityIndices(len(idx)), path)
}

// idxSamples reads the test images at idx of an MNIST-style folder.
func idxSamples(dir string, idx []int) ([]*image.RGBA, error) {
	const base = "t10k-images-idx3-ubyte"
	path := filepath.Join(dir, base)
	if _, err := os.Stat(path); err != nil {
		path += ".gz"
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := datasets.ReadIDX(f, path)
	if err != nil {
		return nil, err
	}
	if len(data.Dims) != 3 {
		return nil, fmt.Errorf("%s: %d dimensions, want 3 (count × rows × columns)", path, len(data.Dims))
	}
	x := tensor.New(data.Dims[0], data.Dims[1], data.Dims[2], 1)
	for i, b := range data.Data {
		x.Data[i] = float32(b) / 255
	}
	return setImages(x, idx, path)
}

// setImages turns the NHWC images at idx of x into pictures.
func setImages(x *tensor.Tensor, idx []int, source string) ([]*image.RGBA, error) {
	var out []*image.RGBA
	for _, i := range idx {
		if i < 0 || i >= x.Rows() {
			return nil, fmt.Errorf("the run names test image %d, but %s has %d", i, source, x.Rows())
		}
		out = append(out, toImage(x.Data[i*x.RowSize():(i+1)*x.RowSize()], x.Shape[1], x.Shape[2], x.Shape[3]))
	}
	return out, nil
}

func identityIndices(n int) []int {
	out := make([]int, n)
	for i := range out {
		out[i] = i
	}
	return out
}

// toImage turns one HWC image scaled to 0..1 (gray or RGB) into a picture.
func toImage(data []float32, h, w, c int) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			px := data[(y*w+x)*c:]
			r := toByte(px[0])
			g, b := r, r
			if c >= 3 {
				g, b = toByte(px[1]), toByte(px[2])
			}
			img.SetRGBA(x, y, color.RGBA{r, g, b, 255})
		}
	}
	return img
}

func toByte(v float32) uint8 {
	return uint8(math.Round(math.Max(0, math.Min(1, float64(v))) * 255))
}
