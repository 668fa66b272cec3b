package atomicfile

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"
)

var errInjected = errors.New("injected: disk full")

type failingWriter struct{ w io.Writer }

func (f failingWriter) Write(p []byte) (int, error) {
	n, _ := f.w.Write(p[:len(p)/2])
	return n, errInjected
}

// TestWriteFileReplaces: the new content replaces the old, readable by
// others, and a failed write keeps the old file and leaves no temporary.
func TestWriteFileReplaces(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "a", "b")
	if err := MkdirAll(dir); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "f.json")
	for _, data := range []string{"old", "new content"} {
		if err := WriteFile(path, []byte(data)); err != nil {
			t.Fatal(err)
		}
		if got, err := os.ReadFile(path); err != nil || string(got) != data {
			t.Fatalf("read back %q, %v; want %q", got, err, data)
		}
	}
	if st, err := os.Stat(path); err != nil || st.Mode().Perm() != 0o644 {
		t.Errorf("mode %v, %v; want 0644", st.Mode().Perm(), err)
	}
	restore := SetFaultHook(func(_ string, w io.Writer) io.Writer { return failingWriter{w} })
	err := WriteFile(path, []byte("torn"))
	restore()
	if !errors.Is(err, errInjected) {
		t.Fatalf("faulty write: err = %v, want the injected error", err)
	}
	if got, _ := os.ReadFile(path); string(got) != "new content" {
		t.Errorf("after a failed write the file holds %q, want the previous content", got)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("the folder holds %d entries after a failed write, want only the file", len(entries))
	}
}
