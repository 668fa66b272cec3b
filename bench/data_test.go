package main

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/anvil-ml/anvil/datasets"
)

// fakeCIFAR writes a CIFAR-10 folder, cifar-10-batches-bin under root,
// whose data_batch_1.bin holds one all-zero record of class 3.
func fakeCIFAR(t *testing.T, root string) string {
	t.Helper()
	dir := filepath.Join(root, "cifar-10-batches-bin")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"data_batch_2.bin", "data_batch_3.bin", "data_batch_4.bin", "data_batch_5.bin",
		"test_batch.bin", "batches.meta.txt"} {
		if err := os.WriteFile(filepath.Join(dir, f), nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	rec := make([]byte, cifarRecord)
	rec[0] = 3
	if err := os.WriteFile(filepath.Join(dir, "data_batch_1.bin"), rec, 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

// The bench finds CIFAR-10 as train does: through $ANVIL_DATA when
// -data-dir is not given, and only in -data-dir when it is.
func TestBenchFindsDataAsTrainDoes(t *testing.T) {
	env := t.TempDir()
	want := fakeCIFAR(t, env)
	t.Setenv(datasets.EnvDataDir, env)
	o, err := parseOptions([]string{"-quick"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if o.DataDir != want {
		t.Fatalf("DataDir %q, want %q from $%s", o.DataDir, want, datasets.EnvDataDir)
	}
	im, note := loadImages(o.DataDir, false, 5)
	if note != "" || im.X.Rows() != 1 || im.Labels[0] != 3 {
		t.Errorf("loaded %d images (note %q), want the one record of class 3", im.X.Rows(), note)
	}

	empty := t.TempDir()
	_, err = parseOptions([]string{"-quick", "-data-dir", empty}, io.Discard)
	if !errors.Is(err, datasets.ErrNotFound) || !strings.Contains(err.Error(), empty) {
		t.Errorf("-data-dir %s without CIFAR-10: error %v, want ErrNotFound naming it", empty, err)
	}
}
