package checkpoint

import (
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"
)

func files(tag string) map[string][]byte {
	return map[string][]byte{"architecture": []byte(`{"a":"` + tag + `"}`),
		"weights": []byte("weights " + tag), "optimizer": []byte("optimizer " + tag)}
}

func names(t *testing.T, dir string) string {
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range entries {
		out = append(out, e.Name())
	}
	sort.Strings(out)
	return strings.Join(out, " ")
}

// TestWriteRead: a checkpoint reads back as written, a new generation
// replaces the old one's files, and a user's own files stay.
func TestWriteRead(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "run")
	for gen, tag := range []string{"first", "second"} {
		man := &Manifest{Version: "1", Epoch: gen + 1, Sums: Floats([]float64{1.5}),
			History: History{Epoch: []int{0}, Seconds: Floats([]float64{2})}}
		if err := Write(dir, man, files(tag)); err != nil {
			t.Fatal(err)
		}
		if gen == 0 {
			os.WriteFile(filepath.Join(dir, "notes.txt"), []byte("mine"), 0o644)
		}
		got, data, err := Read(dir, "1")
		if err != nil {
			t.Fatal(err)
		}
		if got.Epoch != gen+1 || got.Generation != gen+1 || !reflect.DeepEqual(data, files(tag)) || Plain(got.Sums)[0] != 1.5 {
			t.Errorf("generation %d: read back %+v, %q", gen+1, got, data)
		}
	}
	want := "architecture-000002.json checkpoint.json notes.txt optimizer-000002.safetensors weights-000002.safetensors"
	if got := names(t, dir); got != want {
		t.Errorf("folder holds %s, want %s", got, want)
	}
	if _, _, err := Read(dir, "2"); err == nil || !strings.Contains(err.Error(), "version") {
		t.Errorf("another version: err = %v", err)
	}
	os.WriteFile(filepath.Join(dir, "weights-000002.safetensors"), []byte("weights secon"), 0o644)
	if _, _, err := Read(dir, "1"); err == nil || !strings.Contains(err.Error(), "truncated") {
		t.Errorf("a truncated file: err = %v", err)
	}
}

// IsCheckpointFile accepts exactly what Write creates, so cleanup code
// that relies on it cannot remove a user's file.
func TestIsCheckpointFile(t *testing.T) {
	for name, want := range map[string]bool{
		"checkpoint.json": true, ".checkpoint.json.tmp-42": true, "weights-000003.safetensors": true,
		".optimizer-000001.safetensors.tmp-7": true, "architecture-000002.json": true, "callbacks-000004.safetensors": true,
		"notes.txt": false, "weights.safetensors": false, "checkpoint.json.bak": false, ".checkpoint.json.tmp-": false,
	} {
		if got := IsCheckpointFile(name); got != want {
			t.Errorf("IsCheckpointFile(%q) = %v, want %v", name, got, want)
		}
	}
}

// TestOptionalFile: a callbacks file is written and read back only when
// given, belongs to its generation like the others (a later checkpoint
// without one removes it), and is checked against the manifest.
func TestOptionalFile(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "run")
	with := files("first")
	with["callbacks"] = []byte("callbacks first")
	if err := Write(dir, &Manifest{Version: "1"}, with); err != nil {
		t.Fatal(err)
	}
	man, data, err := Read(dir, "1")
	if err != nil || !reflect.DeepEqual(data, with) || man.Files["callbacks"].Name != "callbacks-000001.safetensors" {
		t.Fatalf("read back %q, %+v, %v", data, man, err)
	}
	os.WriteFile(filepath.Join(dir, "callbacks-000001.safetensors"), []byte("callbacks FIRST"), 0o644)
	if _, _, err := Read(dir, "1"); err == nil || !strings.Contains(err.Error(), "SHA-256") {
		t.Errorf("a changed callbacks file: err = %v", err)
	}
	if err := Write(dir, &Manifest{Version: "1"}, files("second")); err != nil {
		t.Fatal(err)
	}
	man, data, err = Read(dir, "1")
	if _, has := data["callbacks"]; err != nil || has || len(man.Files) != len(Kinds) {
		t.Errorf("a checkpoint without callbacks read back %q, %+v, %v", data, man.Files, err)
	}
	want := "architecture-000002.json checkpoint.json optimizer-000002.safetensors weights-000002.safetensors"
	if got := names(t, dir); got != want {
		t.Errorf("folder holds %s, want %s", got, want)
	}
}
