package datasets

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"

	"github.com/anvil-ml/anvil/tensor"
)

// The CIFAR-10 binary format: each record is one label byte followed by the
// red, green and blue 32x32 planes, row-major. Files have no header.
const (
	cifarSide      = 32
	cifarChannels  = 3
	cifarPlane     = cifarSide * cifarSide
	cifarImage     = cifarPlane * cifarChannels
	cifarRecord    = 1 + cifarImage
	cifarClasses   = 10
	cifarMetaLimit = 64 << 10
)

// cifarTrainFiles and cifarTestFile are the batch files of the official
// cifar-10-batches-bin release.
var cifarTrainFiles = []string{
	"data_batch_1.bin", "data_batch_2.bin", "data_batch_3.bin", "data_batch_4.bin", "data_batch_5.bin",
}

const (
	cifarTestFile = "test_batch.bin"
	cifarMetaFile = "batches.meta.txt"
)

// LoadCIFAR10 reads the CIFAR-10 binary release in dir (data_batch_1.bin …
// data_batch_5.bin, test_batch.bin and batches.meta.txt). Images come back
// as [N, 32, 32, 3] NHWC float32 scaled to 0..1, with the class names from
// batches.meta.txt.
func LoadCIFAR10(dir string) (train, test *Set, err error) {
	names, err := readCIFARClassNames(filepath.Join(dir, cifarMetaFile))
	if err != nil {
		return nil, nil, err
	}
	trainPaths := make([]string, len(cifarTrainFiles))
	for i, f := range cifarTrainFiles {
		trainPaths[i] = filepath.Join(dir, f)
	}
	if train, err = loadCIFARFiles(trainPaths, dir); err != nil {
		return nil, nil, err
	}
	if test, err = loadCIFARFiles([]string{filepath.Join(dir, cifarTestFile)}, dir); err != nil {
		return nil, nil, err
	}
	train.ClassNames = names
	test.ClassNames = names
	return train, test, nil
}

// loadCIFARFiles decodes the given batch files, in order, into one set. It
// sizes the set from the file sizes so that each image is written once into
// its final place.
func loadCIFARFiles(paths []string, source string) (*Set, error) {
	sizes := make([]int64, len(paths))
	total := 0
	for i, p := range paths {
		st, err := os.Stat(p)
		if err != nil {
			return nil, fmt.Errorf("datasets: CIFAR-10 batch: %w", err)
		}
		if err := checkCIFARSize(st.Size(), p); err != nil {
			return nil, err
		}
		sizes[i] = st.Size()
		total += int(st.Size() / cifarRecord)
	}
	x := newImages(total, cifarSide, cifarSide, cifarChannels)
	labels := make([]int, total)
	starts := make([]int, len(paths)+1)
	for i := range paths {
		starts[i+1] = starts[i] + int(sizes[i]/cifarRecord)
	}
	// Decoding is cheap next to first touching the output's memory, so the
	// files are decoded in parallel, each into its own part of x.
	workers := min(runtime.GOMAXPROCS(0), len(paths))
	errs := make([]error, len(paths))
	next := make(chan int, len(paths))
	for i := range paths {
		next <- i
	}
	close(next)
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			var buf []byte
			for i := range next {
				if cap(buf) < int(sizes[i]) {
					buf = make([]byte, sizes[i])
				}
				buf = buf[:sizes[i]]
				if errs[i] = readExactly(paths[i], buf); errs[i] != nil {
					continue
				}
				a, b := starts[i], starts[i+1]
				errs[i] = decodeCIFAR(x.Data[a*cifarImage:b*cifarImage], labels[a:b], buf, paths[i])
			}
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return &Set{Images: x, Labels: labels, Source: source}, nil
}

// readExactly fills buf with the whole content of the file at path; it fails
// when the file is shorter or longer than buf, as when it changed since it
// was sized.
func readExactly(path string, buf []byte) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("datasets: %w", err)
	}
	defer f.Close()
	if n, err := io.ReadFull(f, buf); err != nil {
		return fmt.Errorf("datasets: %s: %w: file ended at offset %d, expected %d bytes: %w", path, ErrFormat, n, len(buf), err)
	}
	var one [1]byte
	if n, _ := f.Read(one[:]); n != 0 {
		return fmt.Errorf("datasets: %s: %w: file grew while being read: more than %d bytes", path, ErrFormat, len(buf))
	}
	return nil
}

// checkCIFARSize fails unless size is a positive whole number of records.
func checkCIFARSize(size int64, name string) error {
	if size == 0 {
		return fmt.Errorf("datasets: %s: %w: empty CIFAR-10 batch file", name, ErrFormat)
	}
	if rem := size % cifarRecord; rem != 0 {
		full := size / cifarRecord
		return fmt.Errorf("datasets: %s: %w: size %d bytes is not a multiple of the %d-byte CIFAR-10 record "+
			"(truncated or not a CIFAR-10 binary batch): the last full record ends at offset %d (%d records), "+
			"followed by %d bytes of a partial record",
			name, ErrFormat, size, cifarRecord, full*cifarRecord, full, rem)
	}
	return nil
}

// ParseCIFARBatch decodes the bytes of one CIFAR-10 binary batch file; name
// is used in errors and as the set's Source. The set has no class names.
func ParseCIFARBatch(data []byte, name string) (*Set, error) {
	if err := checkCIFARSize(int64(len(data)), name); err != nil {
		return nil, err
	}
	n := len(data) / cifarRecord
	x := newImages(n, cifarSide, cifarSide, cifarChannels)
	labels := make([]int, n)
	if err := decodeCIFAR(x.Data, labels, data, name); err != nil {
		return nil, err
	}
	return &Set{Images: x, Labels: labels, Source: name}, nil
}

// decodeCIFAR converts whole records from data into dst (NHWC bytes) and
// labels. len(data) must be len(labels) records and len(dst) as many images.
func decodeCIFAR(dst []uint8, labels []int, data []byte, name string) error {
	for r := range labels {
		rec := data[r*cifarRecord : (r+1)*cifarRecord]
		if rec[0] >= cifarClasses {
			return fmt.Errorf("datasets: %s: %w: record %d at offset %d has label %d, want 0..%d",
				name, ErrFormat, r, r*cifarRecord, rec[0], cifarClasses-1)
		}
		labels[r] = int(rec[0])
		red := rec[1 : 1+cifarPlane]
		green := rec[1+cifarPlane : 1+2*cifarPlane]
		blue := rec[1+2*cifarPlane : 1+3*cifarPlane]
		out := dst[r*cifarImage : (r+1)*cifarImage]
		for p := 0; p < cifarPlane; p++ {
			px := out[p*3 : p*3+3 : p*3+3]
			px[0], px[1], px[2] = red[p], green[p], blue[p]
		}
	}
	return nil
}

// newImages allocates n images of h×w×c bytes.
func newImages(n, h, w, c int) *tensor.Bytes {
	return &tensor.Bytes{Shape: tensor.Shape{n, h, w, c}, Data: make([]uint8, n*h*w*c)}
}

// readCIFARClassNames reads batches.meta.txt: exactly ten non-empty lines,
// the class names in label order. Blank lines (the official file ends with
// one) are skipped.
func readCIFARClassNames(path string) ([]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("datasets: CIFAR-10 class names: %w", err)
	}
	defer f.Close()
	var names []string
	sc := bufio.NewScanner(io.LimitReader(f, cifarMetaLimit))
	line := 0
	for sc.Scan() {
		line++
		s := strings.TrimSpace(sc.Text())
		if s == "" {
			continue
		}
		if len(names) == cifarClasses {
			return nil, fmt.Errorf("datasets: %s:%d: %w: more than %d class names (extra %q)", path, line, ErrFormat, cifarClasses, s)
		}
		names = append(names, s)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("datasets: %s:%d: %w", path, line+1, err)
	}
	if len(names) != cifarClasses {
		return nil, fmt.Errorf("datasets: %s: %w: found %d class names, want %d non-empty lines", path, ErrFormat, len(names), cifarClasses)
	}
	return names, nil
}
