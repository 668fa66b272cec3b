package nn

import (
	"context"
	"testing"
)

// TestValidationSplit: ValidationSplit trains on the first samples and
// validates on the last ones, as given explicitly, and refuses what Keras
// refuses.
func TestValidationSplit(t *testing.T) {
	d := streamData()
	ma, mb := imageModel(t, "categorical_crossentropy"), imageModel(t, "categorical_crossentropy")
	o := FitOptions{Verbose: Silent, BatchSize: 8, Epochs: 2, Seed: 4}
	val := sliceData(d, 40, 50) // floor(50 * 0.8) = 40
	o.ValidationData = &val
	ha, err := ma.FitData(context.Background(), sliceData(d, 0, 40), o)
	if err != nil {
		t.Fatal(err)
	}
	o.ValidationData, o.ValidationSplit = nil, 0.2
	hb, err := mb.FitData(context.Background(), d, o)
	if err != nil {
		t.Fatal(err)
	}
	sameHistory(t, ha, hb)
	if _, ok := hb.Last("val_accuracy"); !ok {
		t.Error("no validation metrics")
	}
	for _, c := range []struct {
		d     Data
		split float64
		val   *Data
		want  string
	}{
		{d, 0.2, &val, "validation data both given"},
		{d, 1, nil, "between 0 and 1"},
		{d, -0.1, nil, "between 0 and 1"},
		{d, 1e-17, nil, "50 samples are not enough"},
		{sliceData(d, 0, 1), 0.5, nil, "1 samples are not enough"},
	} {
		_, err := mb.FitData(context.Background(), c.d, FitOptions{Verbose: Silent, ValidationSplit: c.split, ValidationData: c.val})
		wantErr(t, err, c.want)
	}
}
