package nn

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
)

// testHookWriter, when set by a test, wraps the writer of every atomic
// file write: a test injects a failing or crashing writer through it.
var testHookWriter func(path string, w io.Writer) io.Writer

// writeFileAtomic replaces path with data so that a reader, or the
// machine after a crash, finds either the old file or the new one, never
// a mix: it writes a temporary file in the same directory (rename is only
// atomic within one file system), fsyncs it, renames it over path and
// fsyncs the directory so the rename itself is durable.
//
// The temporary file is removed on an ordinary error but deliberately not
// in a defer: a crash (a panic in a test) leaves it behind, as a real
// crash would, and readers must cope with such leftovers.
func writeFileAtomic(path string, data []byte) error {
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
	return syncDir(dir)
}

// writeAndSync writes data through the test hook, if any, and fsyncs.
func writeAndSync(f *os.File, path string, data []byte) error {
	var w io.Writer = f
	if testHookWriter != nil {
		w = testHookWriter(path, f)
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

// syncDir makes the directory's entries (a rename, a new file) durable.
// Windows cannot open a directory for syncing and persists renames itself.
func syncDir(dir string) error {
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

// makeDir creates dir (and its parents) and makes its creation durable.
func makeDir(dir string) error {
	if _, err := os.Stat(dir); err == nil {
		return nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	return syncDir(filepath.Dir(filepath.Clean(dir)))
}
