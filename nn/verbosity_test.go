package nn

import (
	"context"
	"strings"
	"testing"
)

// TestVerboseDefaultsToKeras: FitOptions{} prints Keras's progress (its
// verbose=1), Silent prints nothing, 2 prints one line per epoch.
func TestVerboseDefaultsToKeras(t *testing.T) {
	m := tinyModel(t, SGD())
	x := mustTensor(t, []float32{1, 2, 3, 4}, 4, 1)
	for _, c := range []struct {
		verbose int
		want    []string
	}{
		{0, []string{"Epoch 1/2\n", "1/1 [==============================] - ", "Epoch 2/2\n"}},
		{2, []string{"Epoch 1/2\n", "1/1 - "}},
		{Silent, nil},
	} {
		var out strings.Builder
		if _, err := m.Fit(context.Background(), x, x, FitOptions{Epochs: 2, Verbose: c.verbose, Out: &out}); err != nil {
			t.Fatal(err)
		}
		for _, w := range c.want {
			if !strings.Contains(out.String(), w) {
				t.Errorf("Verbose %d: output %q lacks %q", c.verbose, out.String(), w)
			}
		}
		if c.want == nil && out.Len() != 0 {
			t.Errorf("Silent printed %q", out.String())
		}
	}
}

func TestResults(t *testing.T) {
	r := Results{Names: []string{"loss", "accuracy"}, Values: []float64{0.5, 0.75}}
	if v, ok := r.Get("accuracy"); !ok || v != 0.75 {
		t.Errorf("Get(accuracy) = %v, %v", v, ok)
	}
	if _, ok := r.Get("mae"); ok {
		t.Error("Get(mae) found a value Evaluate did not compute")
	}
	if r.Loss() != 0.5 || r.Map()["loss"] != 0.5 || len(r.Map()) != 2 {
		t.Errorf("Loss %v, Map %v", r.Loss(), r.Map())
	}
}
