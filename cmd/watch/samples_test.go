package main

import (
	"image/color"
	"strings"
	"testing"

	"github.com/anvil-ml/anvil/datasets"
	"github.com/anvil-ml/anvil/nn"
)

func TestSamplesComeFromTheRunsDataSet(t *testing.T) {
	start := fixtureRun(writeFixtureData(t))[0]
	start.SampleIndices = []int{3, 0, 15}
	s := loadSamples(&start, "")
	if s.err != nil || len(s.images) != 3 {
		t.Fatalf("samples: %d images, %v", len(s.images), s.err)
	}
	for k, i := range start.SampleIndices {
		for _, xy := range [][2]int{{0, 0}, {31, 0}, {5, 27}} {
			want := fixturePixel(i, xy[0], xy[1])
			if got := s.images[k].RGBAAt(xy[0], xy[1]); got != (color.RGBA{want[0], want[1], want[2], 255}) {
				t.Errorf("image %d pixel %v: %v, want %v", i, xy, got, want)
			}
		}
	}
	start.SampleIndices = []int{0, 99}
	if s := loadSamples(&start, ""); s.err == nil || !strings.Contains(s.err.Error(), "test image 99") {
		t.Errorf("a sample index past the data: %v", s.err)
	}
}

func TestSamplesOfFashionMNIST(t *testing.T) {
	dir, err := datasets.Locate("fashion-mnist", "")
	if err != nil {
		t.Fatalf("Fashion-MNIST not found (.ci/setup.sh installs dataset-fashion-mnist): %v", err)
	}
	_, test, err := datasets.LoadFashionMNIST(dir)
	if err != nil {
		t.Fatal(err)
	}
	idx := nn.SampleIndices(test.Len(), 16)
	start := nn.LiveRecord{Settings: map[string]string{"data": "fashion-mnist", "data-dir": dir}, SampleIndices: idx}
	s := loadSamples(&start, "")
	if s.err != nil || len(s.images) != 16 {
		t.Fatalf("samples: %d images, %v", len(s.images), s.err)
	}
	x := test.Features()
	for k, i := range idx {
		img := x.Data[i*28*28 : (i+1)*28*28]
		for p, v := range img {
			if got := s.images[k].RGBAAt(p%28, p/28); got.R != toByte(v) || got.G != got.R || got.B != got.R {
				t.Fatalf("test image %d pixel %d: %v, data set %v", i, p, got, v)
			}
		}
	}
}
