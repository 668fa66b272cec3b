package nn

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestCSVLoggerSeparator: a chosen separator is used as given, and a
// zero-value logger falls back to Keras's ",".
func TestCSVLoggerSeparator(t *testing.T) {
	m := tinyModel(t, SGD())
	x := mustTensor(t, []float32{1, 2, 3, 4}, 4, 1)
	for _, c := range []struct {
		logger *CSVLoggerCallback
		header string
	}{
		{&CSVLoggerCallback{Filename: filepath.Join(t.TempDir(), "semi.csv"), Separator: ";"}, "epoch;loss\r\n"},
		{&CSVLoggerCallback{Filename: filepath.Join(t.TempDir(), "zero.csv")}, "epoch,loss\r\n"},
	} {
		if _, err := m.Fit(context.Background(), x, x, FitOptions{Verbose: Silent, Epochs: 1, Callbacks: []Callback{c.logger}}); err != nil {
			t.Fatal(err)
		}
		data, err := os.ReadFile(c.logger.Filename)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(string(data), c.header) {
			t.Errorf("separator %q: file %q, want it to begin %q", c.logger.Separator, data, c.header)
		}
	}
}
