package datasets

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// envCIFAR10Dir names the folder of the real CIFAR-10 binary release for the
// tests; by default they use the project's shared copy.
const envCIFAR10Dir = "ANVIL_CIFAR10_DIR"

// defaultCIFAR10Dir is the shared copy, relative to this package's folder
// (the tests' working directory).
const defaultCIFAR10Dir = "../../shared/data/cifar-10-batches-bin"

// realCIFAR10Dir returns the folder of the real CIFAR-10, failing the test
// with where it looked and what to set when the data is missing.
func realCIFAR10Dir(t testing.TB) string {
	t.Helper()
	dir, from := os.Getenv(envCIFAR10Dir), "$"+envCIFAR10Dir
	if dir == "" {
		dir, from = defaultCIFAR10Dir, "the default (no $"+envCIFAR10Dir+" set)"
	}
	abs, _ := filepath.Abs(dir)
	for _, f := range append(append([]string{}, cifarTrainFiles...), cifarTestFile, cifarMetaFile) {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Fatalf("real CIFAR-10 data missing: looked in %s (%s, from %s) and cannot use %s: %v; "+
				"set %s to the cifar-10-batches-bin folder", dir, abs, from, f, err, envCIFAR10Dir)
		}
	}
	return dir
}

// realFashionMNISTDir returns the folder of the real Fashion-MNIST as Locate
// finds it ($ANVIL_DATA, then /usr/share/datasets/fashion-mnist), failing
// the test when it is missing.
func realFashionMNISTDir(t testing.TB) string {
	t.Helper()
	dir, err := Locate("fashion-mnist", "")
	if err != nil {
		t.Fatalf("real Fashion-MNIST data missing (install Debian's dataset-fashion-mnist, or set %s): %v", EnvDataDir, err)
	}
	return dir
}

// readTestdata returns the content of a file under testdata/.
func readTestdata(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatalf("test data: %v", err)
	}
	return b
}

// writeFile writes data to dir/name and returns the path.
func writeFile(t testing.TB, dir, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// wantErrContains fails unless err is non-nil and contains every part.
func wantErrContains(t testing.TB, err error, parts ...string) {
	t.Helper()
	if err == nil {
		t.Fatalf("got no error, want one containing %q", parts)
	}
	for _, p := range parts {
		if !strings.Contains(err.Error(), p) {
			t.Errorf("error %q does not contain %q", err, p)
		}
	}
}
