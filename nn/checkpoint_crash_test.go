package nn

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/anvil-ml/anvil/format/atomicfile"
)

// faultyWriter passes half of the first write through and then fails, as
// a full disk or a crash in mid-write would.
type faultyWriter struct {
	w     io.Writer
	crash bool // panic (a crash: no cleanup runs) instead of returning an error
}

var errDiskFull = errors.New("injected: disk full")

func (f *faultyWriter) Write(p []byte) (int, error) {
	n, _ := f.w.Write(p[:len(p)/2])
	if f.crash {
		panic("injected crash")
	}
	return n, errDiskFull
}

// failWrite makes the k-th atomic write (from 0) fail, and restores the
// hook when the test ends.
func failWrite(t *testing.T, k int, crash bool) {
	n := 0
	restore := atomicfile.SetFaultHook(func(path string, w io.Writer) io.Writer {
		n++
		if n-1 == k {
			return &faultyWriter{w: w, crash: crash}
		}
		return w
	})
	t.Cleanup(restore)
}

// saveOrCrash runs SaveCheckpoint and turns an injected crash into an error.
func saveOrCrash(m *Model, dir string, c Checkpoint) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = errors.New("crashed")
		}
	}()
	return m.SaveCheckpoint(dir, c)
}

func listDir(t *testing.T, dir string) []string {
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	sort.Strings(names)
	return names
}

func TestCrashDuringSaveKeepsThePreviousCheckpoint(t *testing.T) {
	x, y := spiral(40)
	m := checkpointModel(t)
	fit := func() {
		if _, err := m.Fit(context.Background(), x, y, FitOptions{BatchSize: 10, Seed: 2}); err != nil {
			t.Fatal(err)
		}
	}
	fit()
	dir := t.TempDir()
	if err := m.SaveCheckpoint(dir, Checkpoint{Epoch: 1, Seed: 2}); err != nil {
		t.Fatal(err)
	}
	old := weightsOf(t, m)
	fit()
	// A checkpoint save makes four atomic writes: architecture, weights,
	// optimizer state, manifest. Break each, by error and by crash.
	for k := 0; k < 4; k++ {
		for _, crash := range []bool{false, true} {
			failWrite(t, k, crash)
			if err := saveOrCrash(m, dir, Checkpoint{Epoch: 2, Seed: 2}); err == nil {
				t.Fatalf("write %d: the save succeeded despite the fault", k)
			}
			atomicfile.SetFaultHook(nil)
			back, c, err := LoadCheckpoint(dir)
			if err != nil {
				t.Fatalf("write %d (crash %v): the previous checkpoint no longer loads: %v", k, crash, err)
			}
			if c.Epoch != 1 || !sameWeights(old, weightsOf(t, back)) {
				t.Fatalf("write %d (crash %v): loaded epoch %d, not the previous checkpoint", k, crash, c.Epoch)
			}
		}
	}
	// Leftovers of a crash must not confuse the loader, and the next
	// successful save cleans them up.
	os.WriteFile(filepath.Join(dir, "weights-000099.safetensors"), []byte("torn"), 0o644)
	os.WriteFile(filepath.Join(dir, "notes.txt"), []byte("a user's file"), 0o644)
	if _, c, err := LoadCheckpoint(dir); err != nil || c.Epoch != 1 {
		t.Fatalf("with leftovers: epoch %v, %v", c, err)
	}
	if err := m.SaveCheckpoint(dir, Checkpoint{Epoch: 2, Seed: 2}); err != nil {
		t.Fatal(err)
	}
	if _, c, err := LoadCheckpoint(dir); err != nil || c.Epoch != 2 {
		t.Fatalf("after a good save: %v, %v", c, err)
	}
	want := "architecture-000100.json checkpoint.json notes.txt optimizer-000100.safetensors weights-000100.safetensors"
	if got := strings.Join(listDir(t, dir), " "); got != want {
		t.Errorf("directory after a good save:\n%s\nwant\n%s", got, want)
	}
}

func TestDamagedCheckpointIsAClearError(t *testing.T) {
	m := checkpointModel(t)
	cases := []struct {
		name   string
		damage func(dir string)
		want   []string
	}{
		{"no checkpoint", func(dir string) { os.Remove(filepath.Join(dir, CheckpointFile)) }, []string{"no checkpoint here", CheckpointFile}},
		{"truncated weights", func(dir string) {
			p := filepath.Join(dir, "weights-000001.safetensors")
			data, _ := os.ReadFile(p)
			os.WriteFile(p, data[:len(data)/2], 0o644)
		}, []string{"weights-000001.safetensors", "truncated", "backup"}},
		{"flipped bit", func(dir string) {
			p := filepath.Join(dir, "optimizer-000001.safetensors")
			data, _ := os.ReadFile(p)
			data[len(data)-1] ^= 1
			os.WriteFile(p, data, 0o644)
		}, []string{"optimizer-000001.safetensors", "SHA-256", "corrupt"}},
		{"missing file", func(dir string) { os.Remove(filepath.Join(dir, "architecture-000001.json")) },
			[]string{"architecture-000001.json", "missing"}},
		{"bad manifest", func(dir string) { os.WriteFile(filepath.Join(dir, CheckpointFile), []byte("{"), 0o644) },
			[]string{CheckpointFile, "not valid JSON"}},
		{"escaping manifest", func(dir string) {
			p := filepath.Join(dir, CheckpointFile)
			data, _ := os.ReadFile(p)
			os.WriteFile(p, []byte(strings.Replace(string(data), "weights-000001.safetensors", "../../etc/passwd", 1)), 0o644)
		}, []string{"../../etc/passwd", "not one Anvil writes"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			if err := m.SaveCheckpoint(dir, Checkpoint{Epoch: 1}); err != nil {
				t.Fatal(err)
			}
			c.damage(dir)
			_, _, err := LoadCheckpoint(dir)
			wantErr(t, err, c.want...)
		})
	}
}
