package datasets

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"testing"
	"time"

	"github.com/anvil-ml/anvil/tensor"
)

// gzipBytes compresses b.
func gzipBytes(t testing.TB, b []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if _, err := zw.Write(b); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// idxHeader builds an IDX header of unsigned bytes.
func idxHeader(dims ...uint32) []byte {
	b := []byte{0, 0, 0x08, byte(len(dims))}
	for _, d := range dims {
		b = binary.BigEndian.AppendUint32(b, d)
	}
	return b
}

func TestReadIDXHead(t *testing.T) {
	raw := readTestdata(t, "fashion_train_images_head3.idx")
	for name, b := range map[string][]byte{"plain": raw, "gzip": gzipBytes(t, raw)} {
		t.Run(name, func(t *testing.T) {
			idx, err := ReadIDX(bytes.NewReader(b), "head")
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(idx.Dims, []int{3, 28, 28}) || len(idx.Data) != 3*784 {
				t.Fatalf("dims %v, %d bytes", idx.Dims, len(idx.Data))
			}
			// Fashion-MNIST training image 0, row 3, column 16.
			if idx.Data[3*28+16] != 73 {
				t.Errorf("pixel (3,16) = %d, want 73", idx.Data[3*28+16])
			}
		})
	}
}

func TestReadIDXBroken(t *testing.T) {
	head := readTestdata(t, "fashion_train_images_head3.idx")
	gz := gzipBytes(t, head)
	badCRC := slices.Clone(gz)
	badCRC[len(badCRC)-6] ^= 0xFF
	cases := []struct {
		name string
		data []byte
		want []string
	}{
		{"empty", nil, []string{"f.idx", "truncated", "offset 0", "magic"}},
		{"wrong magic", []byte("PK\x03\x04rest"), []string{"f.idx", "found magic 0x504B0304 at offset 0", "expected 0x000008NN"}},
		{"float dtype", []byte{0, 0, 0x0D, 1, 0, 0, 0, 1, 0, 0, 0, 0}, []string{"f.idx", "element type 0x0D (float32) at offset 2", "expected 0x08"}},
		{"unknown dtype", []byte{0, 0, 0x42, 1}, []string{"0x42 (unknown)"}},
		{"zero dims", []byte{0, 0, 8, 0}, []string{"zero dimensions at offset 3"}},
		{"short header", []byte{0, 0, 8, 3, 0, 0}, []string{"f.idx", "truncated", "offset 6", "dimensions"}},
		{"huge dims", idxHeader(60000, 60000, 28), []string{"f.idx", "dimensions 60000x60000 declare more than 1073741824 elements", "dimension 1 at offset 8"}},
		{"max dim", idxHeader(0xFFFFFFFF), []string{"4294967295", "offset 4"}},
		{"lying dims", idxHeader(1 << 30), []string{"f.idx", "need 1073741824 bytes of data from offset 8", "ends at offset 8"}},
		{"truncated data", head[:len(head)-10], []string{"f.idx", "truncated", "3x28x28", "from offset 16", "ends at offset 2358"}},
		{"trailing data", append(slices.Clone(head), 7), []string{"f.idx", "unexpected data after offset 2368"}},
		{"gzip truncated", gz[:len(gz)/2], []string{"f.idx (decompressed)", "truncated"}},
		{"gzip trailer cut", gz[:len(gz)-4], []string{"f.idx (decompressed)", "after offset 2368", "truncated gzip"}},
		{"gzip bad checksum", badCRC, []string{"f.idx (decompressed)", "checksum"}},
		{"gzip bad header", []byte{0x1f, 0x8b, 0, 0}, []string{"f.idx", "gzip"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			idx, err := ReadIDX(bytes.NewReader(c.data), "f.idx")
			wantErrContains(t, err, c.want...)
			if !errors.Is(err, ErrFormat) {
				t.Errorf("error does not wrap ErrFormat: %v", err)
			}
			if idx != nil {
				t.Errorf("got a result with the error")
			}
		})
	}
}

func TestReadIDXLyingHeaderAllocatesLittle(t *testing.T) {
	// A header that claims 2^30 bytes but holds 100 must not cost a GiB.
	data := append(idxHeader(1<<15, 1<<15), make([]byte, 100)...)
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	_, err := ReadIDX(bytes.NewReader(data), "liar")
	runtime.ReadMemStats(&after)
	wantErrContains(t, err, "liar", "truncated")
	if got := after.TotalAlloc - before.TotalAlloc; got > 4<<20 {
		t.Errorf("allocated %d bytes for a 108-byte input", got)
	}
}

// idxDir writes a small Fashion-MNIST-like folder: the 3-image head as both
// training and test set, the test files gzipped, then applies change.
func idxDir(t *testing.T, change func(dir string)) string {
	t.Helper()
	dir := t.TempDir()
	images := readTestdata(t, "fashion_train_images_head3.idx")
	labels := readTestdata(t, "fashion_train_labels_head3.idx")
	writeFile(t, dir, "train-images-idx3-ubyte", images)
	writeFile(t, dir, "train-labels-idx1-ubyte", labels)
	writeFile(t, dir, "t10k-images-idx3-ubyte.gz", gzipBytes(t, images))
	writeFile(t, dir, "t10k-labels-idx1-ubyte.gz", gzipBytes(t, labels))
	if change != nil {
		change(dir)
	}
	return dir
}

func TestLoadIDXSmall(t *testing.T) {
	train, test, err := LoadFashionMNIST(idxDir(t, nil))
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []*Set{train, test} {
		if !s.Features().Shape.Equal(tensor.Shape{3, 28, 28, 1}) || !slices.Equal(s.Labels, []int{9, 0, 0}) {
			t.Fatalf("shape %v labels %v", s.Features().Shape, s.Labels)
		}
		if s.Features().Data[3*28+16] != 73.0/255 || s.ClassName(9) != "Ankle boot" {
			t.Errorf("pixel %v, class 9 %q", s.Features().Data[3*28+16], s.ClassName(9))
		}
	}
	if filepath.Base(test.Source) != "t10k-images-idx3-ubyte.gz" {
		t.Errorf("test Source %q", test.Source)
	}
	if _, _, err := LoadIDX(idxDir(t, nil), nil); err != nil {
		t.Errorf("LoadIDX without class names: %v", err)
	}
}

func TestLoadIDXBroken(t *testing.T) {
	images := readTestdata(t, "fashion_train_images_head3.idx")
	labels := readTestdata(t, "fashion_train_labels_head3.idx")
	cases := []struct {
		name   string
		change func(t *testing.T, dir string)
		want   []string
	}{
		{"label count", func(t *testing.T, dir string) {
			writeFile(t, dir, "train-labels-idx1-ubyte", append(idxHeader(2), 1, 2))
		}, []string{"train-labels-idx1-ubyte", "2 labels", "train-images-idx3-ubyte has 3 images"}},
		{"label over 9", func(t *testing.T, dir string) {
			b := slices.Clone(labels)
			b[9] = 12
			writeFile(t, dir, "train-labels-idx1-ubyte", b)
		}, []string{"train-labels-idx1-ubyte", "label 12 at offset 9", "example 1", "want 0..9"}},
		{"gzipped label over 9", func(t *testing.T, dir string) {
			b := slices.Clone(labels)
			b[10] = 200
			writeFile(t, dir, "t10k-labels-idx1-ubyte.gz", gzipBytes(t, b))
		}, []string{"t10k-labels-idx1-ubyte.gz", "label 200 at offset 10"}},
		{"images not 3-d", func(t *testing.T, dir string) {
			writeFile(t, dir, "train-images-idx3-ubyte", append(idxHeader(3, 784), images[16:]...))
		}, []string{"train-images-idx3-ubyte", "2 dimensions (3x784)", "want 3"}},
		{"labels not 1-d", func(t *testing.T, dir string) {
			writeFile(t, dir, "train-labels-idx1-ubyte", append(idxHeader(3, 1), 1, 2, 3))
		}, []string{"train-labels-idx1-ubyte", "2 dimensions", "want 1"}},
		{"truncated images", func(t *testing.T, dir string) {
			writeFile(t, dir, "train-images-idx3-ubyte", images[:1000])
		}, []string{"train-images-idx3-ubyte", "truncated", "ends at offset 1000"}},
		{"missing labels", func(t *testing.T, dir string) {
			os.Remove(filepath.Join(dir, "t10k-labels-idx1-ubyte.gz"))
		}, []string{"t10k-labels-idx1-ubyte", "t10k-labels-idx1-ubyte.gz"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			train, test, err := LoadFashionMNIST(idxDir(t, func(dir string) { c.change(t, dir) }))
			wantErrContains(t, err, c.want...)
			if train != nil || test != nil {
				t.Errorf("got sets with the error")
			}
		})
	}
}

func TestLoadFashionMNISTReal(t *testing.T) {
	dir := realFashionMNISTDir(t)
	start := time.Now()
	train, test, err := LoadFashionMNIST(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("loaded 70,000 Fashion-MNIST images from %s in %v", dir, time.Since(start))
	if train.Len() != 60000 || test.Len() != 10000 {
		t.Fatalf("counts %d / %d, want 60000 / 10000", train.Len(), test.Len())
	}
	for _, c := range []struct {
		s        *Set
		perClass int
		first    []int
	}{
		{train, 6000, []int{9, 0, 0, 3, 0, 2, 7, 2, 5, 5}},
		{test, 1000, []int{9, 2, 1, 1}},
	} {
		s := c.s
		if !s.Features().Shape.Equal(tensor.Shape{s.Len(), 28, 28, 1}) {
			t.Errorf("shape %v", s.Features().Shape)
		}
		if !slices.Equal(s.ClassNames, FashionMNISTClassNames) {
			t.Errorf("class names %q", s.ClassNames)
		}
		h := make([]int, 10)
		for _, l := range s.Labels {
			h[l]++
		}
		if !slices.Equal(h, slices.Repeat([]int{c.perClass}, 10)) {
			t.Errorf("histogram %v, want %d per class", h, c.perClass)
		}
		if !slices.Equal(s.Labels[:len(c.first)], c.first) {
			t.Errorf("first labels %v, want %v", s.Labels[:len(c.first)], c.first)
		}
		lo, hi := float32(math.Inf(1)), float32(math.Inf(-1))
		for _, v := range s.Features().Data {
			lo, hi = min(lo, v), max(hi, v)
		}
		if lo != 0 || hi != 1 {
			t.Errorf("pixel range [%v, %v]", lo, hi)
		}
	}
	// Training image 0 (an ankle boot): pixel (3,16) is 73 and its bytes sum
	// to 76247.
	if got := train.Features().Data[3*28+16]; got != 73.0/255 {
		t.Errorf("pixel (3,16) = %v, want 73/255", got)
	}
	var sum float64
	for _, v := range train.Features().Row(0) {
		sum += float64(v) * 255
	}
	if math.Abs(sum-76247) > 0.01 {
		t.Errorf("image 0 sums to %.2f, want 76247", sum)
	}
}
