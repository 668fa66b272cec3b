package main

import (
	"io"
	"strings"
	"testing"
)

// TestAugmentFlag: -augment puts the listed layers, in order, in front of
// a built-in model without changing its parameters, and bad lists are
// refused before any data is loaded.
func TestAugmentFlag(t *testing.T) {
	o, err := parseFlags([]string{"-model", "simple-cnn", "-augment", "flip=horizontal_and_vertical,translate=0.1,zoom=0.2,contrast=0.3"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	m, err := buildModel(o, nil)
	if err != nil {
		t.Fatal(err)
	}
	var classes []string
	for _, l := range m.Layers() {
		classes = append(classes, l.ClassName())
	}
	want := "InputLayer RandomFlip RandomTranslation RandomZoom RandomContrast Conv2D Conv2D Flatten Dense"
	if got := strings.Join(classes, " "); got != want {
		t.Errorf("layers %s, want %s", got, want)
	}
	if tr, nt := m.CountParams(); tr != 15120 || nt != 0 {
		t.Errorf("params %d + %d, want SimpleCNN's 15,120", tr, nt)
	}
	for _, bad := range []string{"zoom=0", "zoom=1.5", "translate", "blur=0.1", "flip=diagonal"} {
		if _, err := parseFlags([]string{"-model", "cnn", "-augment", bad}, io.Discard); err == nil || !strings.Contains(err.Error(), "-augment") {
			t.Errorf("-augment %s: error %v", bad, err)
		}
	}
	if _, err := parseFlags([]string{"-model", "mlp", "-augment", "flip"}, io.Discard); err == nil {
		t.Error("-augment with -model mlp was accepted")
	}
}
