package nn

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzModelFromJSON checks that no architecture file, however broken,
// makes ModelFromJSON panic, and that whatever it accepts exports and
// loads again. Run it with:
// go test ./nn -run '^$' -fuzz FuzzModelFromJSON -fuzztime 60s
func FuzzModelFromJSON(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "keras", "*.json"))
	for _, name := range files {
		data, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte(`{"class_name": "Sequential", "config": [{"class_name": "Dense", "config": {"name": "d", "units": 2, "batch_input_shape": [null, 3]}}]}`))
	saved := maxImportParams
	maxImportParams = 1 << 16 // keep each accepted model small
	defer func() { maxImportParams = saved }()
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := ModelFromJSON(data)
		if err != nil {
			return
		}
		out, err := m.ToJSON()
		if err != nil {
			t.Fatalf("a loaded model does not export: %v", err)
		}
		if _, err := ModelFromJSON(out); err != nil {
			t.Fatalf("an exported model does not load again: %v\n%s", err, out)
		}
	})
}
