package nn

import (
	"context"
	"testing"
)

// TestPredictSourceDefaultBatch: a batch size of 0 means Keras's 32, as
// in Predict, and gives Predict's outputs.
func TestPredictSourceDefaultBatch(t *testing.T) {
	x, y := spiral(70)
	m := checkpointModel(t)
	want, err := m.Predict(x, 0)
	if err != nil {
		t.Fatal(err)
	}
	got, err := m.PredictSource(context.Background(), DataSource(XY(x, y), 8), 0)
	if err != nil {
		t.Fatal(err)
	}
	if !got.Shape.Equal(want.Shape) {
		t.Fatalf("PredictSource gives shape %v, Predict %v", got.Shape, want.Shape)
	}
	for i := range want.Data {
		if got.Data[i] != want.Data[i] {
			t.Fatalf("output %d: PredictSource %v, Predict %v", i, got.Data[i], want.Data[i])
		}
	}
}
