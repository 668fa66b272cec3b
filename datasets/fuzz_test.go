package datasets

import (
	"bytes"
	"errors"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/anvil-ml/anvil/tensor"
)

// The fuzz targets check that every parser either succeeds with a result
// consistent with its input or fails with an ErrFormat error: no panics, and
// (through the parsers' caps) no allocations out of proportion to the input.

func FuzzReadIDX(f *testing.F) {
	images := readTestdata(f, "fashion_train_images_head3.idx")
	labels := readTestdata(f, "fashion_train_labels_head3.idx")
	for _, seed := range [][]byte{
		images, labels,
		gzipBytes(f, images), gzipBytes(f, labels),
		images[:len(images)-1], images[:10], gzipBytes(f, images)[:100],
		append(slices.Clone(labels), 1),
		{0, 0, 0x0D, 1, 0, 0, 0, 1, 0, 0, 0, 0},
		idxHeader(60000, 60000, 28), idxHeader(1 << 30), idxHeader(0, 1<<30, 1<<30),
		{0x1f, 0x8b}, nil,
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		idx, err := ReadIDX(bytes.NewReader(data), "fuzz")
		if err != nil {
			if idx != nil || !errors.Is(err, ErrFormat) || !strings.Contains(err.Error(), "fuzz") {
				t.Fatalf("result %v with error %v (want nil, an ErrFormat naming the input)", idx, err)
			}
			return
		}
		n := 1
		for _, d := range idx.Dims {
			n *= d
		}
		if len(idx.Dims) == 0 || n != len(idx.Data) || n > maxIDXElements {
			t.Fatalf("dims %v with %d bytes of data", idx.Dims, len(idx.Data))
		}
		if len(data) > 0 && data[0] == 0 && !bytes.Equal(data[len(data)-n:], idx.Data) {
			t.Fatalf("data is not the input's tail")
		}
	})
}

func FuzzCIFARBatch(f *testing.F) {
	head := readTestdata(f, "cifar10_data_batch_1_head2.bin")
	badLabel := slices.Clone(head[:cifarRecord])
	badLabel[0] = 10
	for _, seed := range [][]byte{
		head, head[:cifarRecord], head[:cifarRecord-1], head[:len(head)-1], append(slices.Clone(head), 0),
		badLabel, {9}, nil,
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := ParseCIFARBatch(data, "fuzz")
		if err != nil {
			if s != nil || !errors.Is(err, ErrFormat) || !strings.Contains(err.Error(), "fuzz") {
				t.Fatalf("result with error %v", err)
			}
			return
		}
		n := len(data) / cifarRecord
		if len(data)%cifarRecord != 0 || s.Len() != n || len(s.Labels) != n || len(s.Features().Data) != n*cifarImage {
			t.Fatalf("%d bytes gave %d examples, %d labels, %d floats", len(data), s.Len(), len(s.Labels), len(s.Features().Data))
		}
		x := s.Features()
		for r, l := range s.Labels {
			rec := data[r*cifarRecord:]
			if l != int(rec[0]) || l > 9 {
				t.Fatalf("record %d: label %d from byte %d", r, l, rec[0])
			}
			// Pixel (0,0) channel by channel, and the last pixel's blue.
			img := x.Data[r*cifarImage:]
			if img[0] != tensor.ByteScale[rec[1]] || img[1] != tensor.ByteScale[rec[1+cifarPlane]] ||
				img[2] != tensor.ByteScale[rec[1+2*cifarPlane]] || img[cifarImage-1] != tensor.ByteScale[rec[cifarRecord-1]] {
				t.Fatalf("record %d decoded wrongly", r)
			}
		}
	})
}

func FuzzCSV(f *testing.F) {
	seeds := []string{
		"x,k,y\n-1,5,-3\n0,5,-1\n1,5,1\n2,5,3\n",
		"\uFEFFsepal_length,sepal_width,species\n5.1,3.5,setosa\n7.0,3.2,versicolor\n6.3,3.3,virginica\n",
		"a,b,label\n1,2,0\n3,4,1.0\n5,6,2\n",
		"a,b,y\n1,2,3\n4,five,6\n",
		"a,b,y\n1,2,3\n4,5\n",
		"a,\"b\nc\",y\n1,2,3\n",
		"x,y\n1,\"2\n",
		"x,y\n1e39,NaN\n",
		"y\n1\n",
		"\n\n",
		"",
	}
	for i, s := range seeds {
		f.Add([]byte(s), "", i%3-1, i%2 == 0, i%3 == 0)
	}
	f.Add([]byte(seeds[1]), "species", 0, true, true)
	f.Add([]byte(seeds[0]), "nope", 0, false, false)
	f.Fuzz(func(t *testing.T, data []byte, column string, index int, classification, standardize bool) {
		opts := CSVOptions{LabelColumn: column, LabelIndex: index, Classification: classification, Standardize: standardize}
		s, err := ReadCSV(bytes.NewReader(data), "fuzz.csv", opts)
		if err != nil {
			if s != nil || !errors.Is(err, ErrFormat) || !strings.Contains(err.Error(), "fuzz.csv") {
				t.Fatalf("result with error %v", err)
			}
			return
		}
		n := s.Len()
		if n == 0 || len(s.X.Shape) != 2 || s.X.Shape[1] == 0 || len(s.X.Data) != n*s.X.Shape[1] {
			t.Fatalf("X shape %v with %d values", s.X.Shape, len(s.X.Data))
		}
		for _, v := range s.X.Data {
			if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
				t.Fatalf("non-finite feature %v", v)
			}
		}
		if classification {
			if len(s.Labels) != n || s.Targets != nil {
				t.Fatalf("%d labels for %d rows", len(s.Labels), n)
			}
			for _, l := range s.Labels {
				if l < 0 || l >= maxCSVClasses || (s.ClassNames != nil && l >= len(s.ClassNames)) {
					t.Fatalf("label %d with %d class names", l, len(s.ClassNames))
				}
			}
		} else if s.Labels != nil || s.Targets == nil || s.Targets.Rows() != n {
			t.Fatalf("regression set: labels %v targets %v", s.Labels, s.Targets)
		}
		if standardize != (s.Standardizer != nil) {
			t.Fatalf("standardize %v but standardizer %v", standardize, s.Standardizer)
		}
	})
}
