package datasets

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// realDataDir returns the folder of a real data set as train finds it
// without -data-dir ($ANVIL_DATA, the download cache, /usr/share/datasets),
// failing the test with the one thing to do when it is missing. The tests
// never download.
func realDataDir(t testing.TB, name string) string {
	t.Helper()
	dir, err := Locate(name, "")
	if err != nil {
		t.Fatalf("real %s data missing: %v\nTo fix: set %s to a folder holding it (for example ../shared/data), "+
			"or let train download it once: go run ./cmd/train -data %s -epochs 1 -limit-train 32 -limit-test 32",
			name, err, EnvDataDir, name)
	}
	return dir
}

// realCIFAR10Dir returns the folder of the real CIFAR-10; see realDataDir.
func realCIFAR10Dir(t testing.TB) string { return realDataDir(t, "cifar10") }

// realFashionMNISTDir returns the folder of the real Fashion-MNIST; see
// realDataDir. Debian's dataset-fashion-mnist installs it.
func realFashionMNISTDir(t testing.TB) string { return realDataDir(t, "fashion-mnist") }

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

// fatalRecorder is a testing.TB whose Fatalf records the message and ends
// only the goroutine it runs on, so that a test can check what a helper
// says when it fails.
type fatalRecorder struct {
	testing.TB
	msg string
}

func (r *fatalRecorder) Helper() {}

func (r *fatalRecorder) Fatalf(format string, args ...any) {
	r.msg = fmt.Sprintf(format, args...)
	runtime.Goexit()
}

// fatalMessage runs f with a fatalRecorder on its own goroutine and returns
// what it passed to Fatalf ("" when it did not fail).
func fatalMessage(t testing.TB, f func(tb testing.TB)) string {
	rec := &fatalRecorder{TB: t}
	done := make(chan struct{})
	go func() {
		defer close(done)
		f(rec)
	}()
	<-done
	return rec.msg
}
