package datasets

import (
	"bytes"
	"errors"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/anvil-ml/anvil/tensor"
)

const cifarMeta = "airplane\nautomobile\nbird\ncat\ndeer\ndog\nfrog\nhorse\nship\ntruck\n"

var cifarNames = strings.Fields(cifarMeta)

func TestLoadCIFAR10Real(t *testing.T) {
	dir := realCIFAR10Dir(t)
	start := time.Now()
	train, test, err := LoadCIFAR10(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("loaded 60,000 CIFAR-10 images in %v", time.Since(start))

	if train.Len() != 50000 || test.Len() != 10000 {
		t.Fatalf("counts %d / %d, want 50000 / 10000", train.Len(), test.Len())
	}
	for _, s := range []*Set{train, test} {
		if !s.Features().Shape.Equal(tensor.Shape{s.Len(), 32, 32, 3}) || len(s.Labels) != s.Len() {
			t.Fatalf("shape %v with %d labels", s.Features().Shape, len(s.Labels))
		}
		if !slices.Equal(s.ClassNames, cifarNames) {
			t.Errorf("class names %q", s.ClassNames)
		}
		if s.Targets != nil || s.Source != dir {
			t.Errorf("Targets %v, Source %q", s.Targets, s.Source)
		}
		lo, hi := float32(math.Inf(1)), float32(math.Inf(-1))
		for _, v := range s.Features().Data {
			lo, hi = min(lo, v), max(hi, v)
		}
		if lo != 0 || hi != 1 {
			t.Errorf("pixel range [%v, %v], want [0, 1]", lo, hi)
		}
	}

	// Per-class counts, from the data set's README.
	hist := func(labels []int) []int {
		h := make([]int, 10)
		for _, l := range labels {
			h[l]++
		}
		return h
	}
	if h := hist(train.Labels); !slices.Equal(h, slices.Repeat([]int{5000}, 10)) {
		t.Errorf("train histogram %v, want 5000 per class", h)
	}
	if h := hist(test.Labels); !slices.Equal(h, slices.Repeat([]int{1000}, 10)) {
		t.Errorf("test histogram %v, want 1000 per class", h)
	}
	if h := hist(train.Labels[:10000]); !slices.Equal(h, []int{1005, 974, 1032, 1016, 999, 937, 1030, 1001, 1025, 981}) {
		t.Errorf("data_batch_1 histogram %v", h)
	}
	if got := train.Labels[:10]; !slices.Equal(got, []int{6, 9, 9, 4, 1, 1, 2, 7, 8, 3}) {
		t.Errorf("first train labels %v", got)
	}
	if got := test.Labels[:10]; !slices.Equal(got, []int{3, 8, 8, 0, 6, 6, 1, 6, 3, 1}) {
		t.Errorf("first test labels %v", got)
	}

	// The first record (a frog): the top-left pixel is R,G,B = 59,62,63 and
	// the next one R = 43; in NHWC they are the first four floats.
	want := []float32{59.0 / 255, 62.0 / 255, 63.0 / 255, 43.0 / 255}
	x := train.Features()
	for i, w := range want {
		if x.Data[i] != w {
			t.Errorf("train X[%d] = %v, want %v", i, x.Data[i], w)
		}
	}

	// Channel means over the training set, from the README; a wrong planar
	// to NHWC conversion would swap or mix them.
	var sum [3]float64
	for i, v := range x.Data {
		sum[i%3] += float64(v)
	}
	for c, w := range []float64{0.4914, 0.4822, 0.4465} {
		if m := sum[c] / float64(50000*1024); math.Abs(m-w) > 5e-4 {
			t.Errorf("channel %d mean %.4f, want %.4f", c, m, w)
		}
	}

	sub := train.Subset(100)
	if oh := sub.OneHot(); !oh.Shape.Equal(tensor.Shape{100, 10}) || oh.Data[6] != 1 || oh.Data[10+9] != 1 {
		t.Errorf("OneHot of the first 100: shape %v, row 0 %v", oh.Shape, oh.Data[:10])
	}
}

func TestParseCIFARBatchHead(t *testing.T) {
	s, err := ParseCIFARBatch(readTestdata(t, "cifar10_data_batch_1_head2.bin"), "head")
	if err != nil {
		t.Fatal(err)
	}
	if s.Len() != 2 || !slices.Equal(s.Labels, []int{6, 9}) || s.Source != "head" {
		t.Fatalf("len %d labels %v source %q", s.Len(), s.Labels, s.Source)
	}
	if s.Features().Data[0] != 59.0/255 || s.Features().Data[1] != 62.0/255 || s.Features().Data[2] != 63.0/255 {
		t.Errorf("first pixel %v", s.Features().Data[:3])
	}
}

// cifarDir writes a complete small CIFAR-10 folder (two records per batch)
// to a temporary folder, then applies change to it.
func cifarDir(t *testing.T, change func(dir string)) string {
	t.Helper()
	dir := t.TempDir()
	head := readTestdata(t, "cifar10_data_batch_1_head2.bin")
	for _, f := range append(append([]string{}, cifarTrainFiles...), cifarTestFile) {
		writeFile(t, dir, f, head)
	}
	writeFile(t, dir, cifarMetaFile, []byte(cifarMeta))
	if change != nil {
		change(dir)
	}
	return dir
}

func TestLoadCIFAR10Small(t *testing.T) {
	dir := cifarDir(t, func(dir string) {
		// The official meta file may end with an extra blank line.
		writeFile(t, dir, cifarMetaFile, []byte(cifarMeta+"\n"))
	})
	train, test, err := LoadCIFAR10(dir)
	if err != nil {
		t.Fatal(err)
	}
	if train.Len() != 10 || test.Len() != 2 || !slices.Equal(train.Labels, []int{6, 9, 6, 9, 6, 9, 6, 9, 6, 9}) {
		t.Fatalf("train %d test %d labels %v", train.Len(), test.Len(), train.Labels)
	}
	if !bytes.Equal(f32bytes(train.Features().Data[:3072]), f32bytes(train.Features().Data[2*3072:3*3072])) {
		t.Errorf("record 0 of data_batch_1 and data_batch_2 decode differently")
	}
	if !slices.Equal(train.ClassNames, cifarNames) {
		t.Errorf("class names %q", train.ClassNames)
	}
}

// f32bytes makes float slices comparable with bytes.Equal.
func f32bytes(v []float32) []byte {
	b := make([]byte, 0, 4*len(v))
	for _, f := range v {
		u := math.Float32bits(f)
		b = append(b, byte(u), byte(u>>8), byte(u>>16), byte(u>>24))
	}
	return b
}

func TestLoadCIFAR10Broken(t *testing.T) {
	head := readTestdata(t, "cifar10_data_batch_1_head2.bin")
	cases := []struct {
		name   string
		change func(t *testing.T, dir string)
		want   []string
	}{
		{"truncated", func(t *testing.T, dir string) {
			writeFile(t, dir, "data_batch_3.bin", head[:len(head)-100])
		}, []string{"data_batch_3.bin", "not a multiple of the 3073-byte", "last full record ends at offset 3073", "2973 bytes of a partial record"}},
		{"one byte extra", func(t *testing.T, dir string) {
			writeFile(t, dir, "test_batch.bin", append(slices.Clone(head), 0))
		}, []string{"test_batch.bin", "ends at offset 6146", "1 bytes of a partial"}},
		{"bad label", func(t *testing.T, dir string) {
			b := slices.Clone(head)
			b[3073] = 10
			writeFile(t, dir, "test_batch.bin", b)
		}, []string{"test_batch.bin", "record 1 at offset 3073", "label 10", "want 0..9"}},
		{"empty", func(t *testing.T, dir string) {
			writeFile(t, dir, "data_batch_2.bin", nil)
		}, []string{"data_batch_2.bin", "empty"}},
		{"missing batch", func(t *testing.T, dir string) {
			os.Remove(filepath.Join(dir, "data_batch_5.bin"))
		}, []string{"data_batch_5.bin", "no such file"}},
		{"nine class names", func(t *testing.T, dir string) {
			writeFile(t, dir, cifarMetaFile, []byte(strings.Join(cifarNames[:9], "\n")))
		}, []string{cifarMetaFile, "found 9 class names", "want 10"}},
		{"eleven class names", func(t *testing.T, dir string) {
			writeFile(t, dir, cifarMetaFile, []byte(cifarMeta+"\nunicorn\n"))
		}, []string{cifarMetaFile + ":12", "unicorn"}},
		{"missing meta", func(t *testing.T, dir string) {
			os.Remove(filepath.Join(dir, cifarMetaFile))
		}, []string{cifarMetaFile, "no such file"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := cifarDir(t, func(dir string) { c.change(t, dir) })
			train, test, err := LoadCIFAR10(dir)
			wantErrContains(t, err, c.want...)
			if train != nil || test != nil {
				t.Errorf("got sets along with the error")
			}
			if !errors.Is(err, ErrFormat) && !errors.Is(err, os.ErrNotExist) {
				t.Errorf("error %v wraps neither ErrFormat nor os.ErrNotExist", err)
			}
		})
	}
}

func BenchmarkLoadCIFAR10(b *testing.B) {
	dir := realCIFAR10Dir(b)
	for b.Loop() {
		if _, _, err := LoadCIFAR10(dir); err != nil {
			b.Fatal(err)
		}
	}
}
