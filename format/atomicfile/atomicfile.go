// Package atomicfile replaces files so that a crash at any moment leaves
// either the old file or the new one, never a torn one: it writes a
// temporary file in the same folder, syncs it, renames it over the target
// and syncs the folder. Saved models, checkpoints and the training
// command's outputs are all written through it.
package atomicfile

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"sync"
)

// faultHook, when set by a test, wraps the writer of every write.
var faultHook struct {
	sync.Mutex
	wrap func(path string, w io.Writer) io.Writer
}

// SetFaultHook makes every following WriteFile write its data through
// wrap(path, file), until restore is called. It exists for tests that
// simulate a full disk or a crash in mid-write (a panic from the wrapped
// writer leaves the temporary file behind, as a real crash would); wrap
// nil removes the hook.
func SetFaultHook(wrap func(path string, w io.Writer) io.Writer) (restore func()) {
	faultHook.Lock()
	defer faultHook.Unlock()
	old := faultHook.wrap
	faultHook.wrap = wrap
	return func() { SetFaultHook(old) }
}

// WriteFile replaces path with data so that a reader, or the
// machine after a crash, finds either the old file or the new one, never
// a mix: it writes a temporary file in the same directory (rename is only
// atomic within one file system), fsyncs it, renames it over path and
// fsyncs the directory so the rename itself is durable.
//
// The temporary file is removed on an ordinary error but deliberately not
// in a defer: a crash (a panic in a test) leaves it behind, as a real
// crash would, and readers must cope with such leftovers.
func WriteFile(path string, data []byte) error {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	err = writeAndSync(f, path, data)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.Name(), path)
	}
	if err != nil {
		os.Remove(f.Name())
		return fmt.Errorf("write %s: %w", path, err)
	}
	return SyncDir(dir)
}

// writeAndSync writes data through the fault hook, if any, and fsyncs.
func writeAndSync(f *os.File, path string, data []byte) error {
	var w io.Writer = f
	faultHook.Lock()
	wrap := faultHook.wrap
	faultHook.Unlock()
	if wrap != nil {
		w = wrap(path, f)
	}
	if _, err := w.Write(data); err != nil {
		return err
	}
	// CreateTemp makes the file private (0600); saved models are ordinary
	// files that other tools and users read.
	if err := f.Chmod(0o644); err != nil {
		return err
	}
	return f.Sync()
}

// SyncDir makes the directory's entries (a rename, a new file) durable.
// Windows cannot open a directory for syncing and persists renames itself.
func SyncDir(dir string) error {
	if runtime.GOOS == "windows" {
		return nil
	}
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("sync directory %s: %w", dir, err)
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("sync directory %s: %w", dir, err)
	}
	return nil
}

// MkdirAll creates dir (and its parents) and makes its creation durable.
func MkdirAll(dir string) error {
	if _, err := os.Stat(dir); err == nil {
		return nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	return SyncDir(filepath.Dir(filepath.Clean(dir)))
}
