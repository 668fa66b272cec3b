package main

import (
	"fmt"
	"image"
	"image/color"
	"math"

	"github.com/anvil-ml/anvil/datasets"
	"github.com/anvil-ml/anvil/nn"
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
// datasets.Locate then also looks in $ANVIL_DATA.
func loadSamples(start *nn.LiveRecord, dataDir string) samples {
	out := samples{key: samplesKey(start, dataDir)}
	name := start.Settings["data"]
	if dataDir == "" {
		dataDir = start.Settings["data-dir"]
	}
	_, test, err := datasets.Load(name, dataDir)
	if err != nil {
		out.err = fmt.Errorf("sample images of %q: %w", name, err)
		return out
	}
	x := test.X
	if len(x.Shape) != 4 {
		out.err = fmt.Errorf("sample images: %s holds no images (shape %v)", name, x.Shape)
		return out
	}
	for _, i := range start.SampleIndices {
		if i < 0 || i >= x.Rows() {
			out.err = fmt.Errorf("sample images: the run names test image %d, but %s has %d", i, test.Source, x.Rows())
			return out
		}
		out.images = append(out.images, toImage(x.Data[i*x.RowSize():(i+1)*x.RowSize()], x.Shape[1], x.Shape[2], x.Shape[3]))
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
