package datasets

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// isolate points the system folder, $ANVIL_DATA and the user's cache
// folder at empty temporary folders, so that the machine's installed data
// sets do not leak in and nothing is downloaded into the real cache.
func isolate(t *testing.T) (system, env string) {
	t.Helper()
	system, env = t.TempDir(), t.TempDir()
	old := systemDataDir
	systemDataDir = system
	t.Cleanup(func() { systemDataDir = old })
	t.Setenv(EnvDataDir, env)
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
	return system, env
}

// fillCIFAR creates empty files for every CIFAR-10 file in dir.
func fillCIFAR(t *testing.T, dir string, skip ...string) string {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
next:
	for _, f := range append(append([]string{}, cifarTrainFiles...), cifarTestFile, cifarMetaFile) {
		for _, s := range skip {
			if s == f {
				continue next
			}
		}
		writeFile(t, dir, f, nil)
	}
	return dir
}

// fillIDX creates the four IDX files in dir, gzipped or not.
func fillIDX(t *testing.T, dir string, gz bool) string {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, alts := range idxFiles {
		name := alts[0]
		if gz {
			name = alts[1]
		}
		writeFile(t, dir, name, nil)
	}
	return dir
}

func TestLocateFinds(t *testing.T) {
	cases := []struct {
		name    string
		set     string
		prepare func(t *testing.T, explicit, env, system string) string
		useFlag bool
	}{
		{"explicit folder", "cifar10", func(t *testing.T, explicit, env, system string) string {
			fillCIFAR(t, env)
			return fillCIFAR(t, explicit)
		}, true},
		{"explicit parent", "cifar-10", func(t *testing.T, explicit, env, system string) string {
			return fillCIFAR(t, filepath.Join(explicit, "cifar-10-batches-bin"))
		}, true},
		{"env itself", "fashion-mnist", func(t *testing.T, explicit, env, system string) string {
			return fillIDX(t, env, true)
		}, false},
		{"env subfolder", "fashion-mnist", func(t *testing.T, explicit, env, system string) string {
			return fillIDX(t, filepath.Join(env, "fashion-mnist"), false)
		}, false},
		{"env cifar10 alias folder", "cifar10", func(t *testing.T, explicit, env, system string) string {
			return fillCIFAR(t, filepath.Join(env, "cifar10"))
		}, false},
		{"system folder", "fashion-mnist", func(t *testing.T, explicit, env, system string) string {
			return fillIDX(t, filepath.Join(system, "fashion-mnist"), true)
		}, false},
		{"env before system", "mnist", func(t *testing.T, explicit, env, system string) string {
			fillIDX(t, filepath.Join(system, "mnist"), true)
			return fillIDX(t, env, false)
		}, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			system, env := isolate(t)
			explicit := t.TempDir()
			want := c.prepare(t, explicit, env, system)
			flag := ""
			if c.useFlag {
				flag = explicit
			}
			got, err := Locate(c.set, flag)
			if err != nil {
				t.Fatal(err)
			}
			if got != filepath.Clean(want) {
				t.Errorf("Locate = %q, want %q", got, want)
			}
		})
	}
}

func TestLocateNotFound(t *testing.T) {
	system, env := isolate(t)
	fillCIFAR(t, filepath.Join(env, "cifar-10-batches-bin"), "data_batch_2.bin", "test_batch.bin")
	_, err := Locate("cifar10", "")
	if !errors.Is(err, ErrNotFound) {
		t.Fatalf("error %v does not wrap ErrNotFound", err)
	}
	wantErrContains(t, err,
		"data_batch_1.bin", "data_batch_5.bin", "test_batch.bin", "batches.meta.txt",
		env+" (none of the files)",
		filepath.Join(env, "cifar-10-batches-bin")+" (missing data_batch_2.bin, test_batch.bin)",
		filepath.Join(env, "cifar10"),
		filepath.Join(system, "cifar-10-batches-bin"),
		filepath.Join(system, "cifar10"),
		"set ANVIL_DATA", "-data-dir")

	_, err = Locate("fashion-mnist", "")
	wantErrContains(t, err, "train-images-idx3-ubyte or train-images-idx3-ubyte.gz",
		"t10k-labels-idx1-ubyte.gz", env, filepath.Join(system, "fashion-mnist"))
}

// An explicit folder is the only place looked: when it lacks the data the
// error names it, and data in $ANVIL_DATA or the system folder is not used.
func TestLocateExplicitNeverFallsBack(t *testing.T) {
	system, env := isolate(t)
	fillIDX(t, filepath.Join(env, "mnist"), true)
	fillIDX(t, filepath.Join(system, "mnist"), true)
	fillCIFAR(t, env)
	explicit := t.TempDir()
	for _, set := range []string{"mnist", "cifar10"} {
		got, err := Locate(set, explicit)
		if !errors.Is(err, ErrNotFound) {
			t.Fatalf("Locate(%q, empty folder) = %q, %v; want ErrNotFound", set, got, err)
		}
		wantErrContains(t, err, explicit+" (none of the files)", "pass the folder")
		if strings.Contains(err.Error(), env) || strings.Contains(err.Error(), system) {
			t.Errorf("error looked beyond the explicit folder: %v", err)
		}
	}
	notDir := writeFile(t, t.TempDir(), "file", nil)
	_, err := Locate("mnist", notDir)
	wantErrContains(t, err, notDir+" (not a folder)")
}

func TestLocateUnknownName(t *testing.T) {
	_, err := Locate("imagenet", "")
	wantErrContains(t, err, `"imagenet"`, "cifar10", "fashion-mnist", "mnist")
	_, _, err = Load(context.Background(), "imagenet", "", nil)
	wantErrContains(t, err, `"imagenet"`)
}

func TestLoadByName(t *testing.T) {
	isolate(t)
	train, test, err := Load(context.Background(), "Fashion_MNIST", idxDir(t, nil), nil)
	if err != nil {
		t.Fatal(err)
	}
	if train.Len() != 3 || test.Len() != 3 || train.ClassNames[0] != "T-shirt/top" {
		t.Errorf("train %d test %d names %q", train.Len(), test.Len(), train.ClassNames)
	}
	train, _, err = Load(context.Background(), "cifar10", cifarDir(t, nil), nil)
	if err != nil || train.Len() != 10 {
		t.Errorf("cifar10: %v", err)
	}
	_, _, err = Load(context.Background(), "mnist", t.TempDir(), nil)
	if !errors.Is(err, ErrNotFound) {
		t.Errorf("mnist in an empty folder: %v", err)
	}
}

// The tests find the real data as train does, from any working folder (a
// fresh clone anywhere): through $ANVIL_DATA. When it is missing, the
// failure says what to do.
func TestTestsFindDataAsTrainDoes(t *testing.T) {
	_, env := isolate(t)
	want := fillCIFAR(t, filepath.Join(env, "cifar-10-batches-bin"))
	t.Chdir(t.TempDir())
	if got := realCIFAR10Dir(t); got != want {
		t.Errorf("realCIFAR10Dir = %q, want %q", got, want)
	}
	t.Setenv(EnvDataDir, t.TempDir())
	msg := fatalMessage(t, func(tb testing.TB) { realCIFAR10Dir(tb) })
	for _, want := range []string{"set ANVIL_DATA", "go run ./cmd/train -data cifar10"} {
		if !strings.Contains(msg, want) {
			t.Errorf("missing-data failure %q lacks %q", msg, want)
		}
	}
}
