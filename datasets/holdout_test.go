package datasets

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"
)

// holdOutTable is a CSV of n rows whose feature x is the row number, so
// that every row can be traced, and whose label is x mod 3.
func holdOutTable(t *testing.T, n int) string {
	t.Helper()
	var b strings.Builder
	b.WriteString("x,y\n")
	for i := range n {
		fmt.Fprintf(&b, "%d,%d\n", i, i%3)
	}
	return csvFile(t, b.String())
}

// unstandardize maps standardized values back to the row numbers.
func unstandardize(s *Set) []int {
	out := make([]int, len(s.X.Data))
	for i, v := range s.X.Data {
		out[i] = int(math.Round(float64(v*s.Standardizer.Std[0] + s.Standardizer.Mean[0])))
	}
	return out
}

// The held-out fifth is drawn with the seed (the same seed, the same rows),
// and the standardizer is fitted on the training rows alone.
func TestLoadCSVHoldOut(t *testing.T) {
	path := holdOutTable(t, 20)
	opts := CSVOptions{LabelIndex: -1, Classification: true, Standardize: true}
	train, test, err := LoadCSVHoldOut(path, opts, 1)
	if err != nil {
		t.Fatal(err)
	}
	if train.Len() != 16 || test.Len() != 4 {
		t.Fatalf("split %d/%d, want 16/4", train.Len(), test.Len())
	}
	trainRows, testRows := unstandardize(train), unstandardize(test)
	all := slices.Sorted(slices.Values(append(slices.Clone(trainRows), testRows...)))
	for i, r := range all {
		if r != i {
			t.Fatalf("rows %v and %v are not a partition of 0..19", trainRows, testRows)
		}
	}
	for i, r := range testRows {
		if test.Labels[i] != r%3 {
			t.Errorf("test row %d has label %d, want %d", r, test.Labels[i], r%3)
		}
	}
	if slices.Equal(testRows, []int{16, 17, 18, 19}) {
		t.Errorf("held out the last fifth %v, want a seeded random draw", testRows)
	}
	// Fitted on the training rows: they have mean 0 and std 1 exactly as
	// computed; the mean is theirs, not the whole table's 9.5.
	var sum float64
	for _, r := range trainRows {
		sum += float64(r)
	}
	if got, want := float64(train.Standardizer.Mean[0]), sum/16; math.Abs(got-want) > 1e-5 {
		t.Errorf("standardizer mean %v, want the training rows' %v", got, want)
	}
	if test.Standardizer != train.Standardizer {
		t.Error("the test set is not scaled with the training set's standardizer")
	}

	_, again, _ := LoadCSVHoldOut(path, opts, 1)
	_, other, _ := LoadCSVHoldOut(path, opts, 2)
	if !slices.Equal(unstandardize(again), testRows) {
		t.Errorf("seed 1 held out %v, then %v", testRows, unstandardize(again))
	}
	if slices.Equal(unstandardize(other), testRows) {
		t.Errorf("seeds 1 and 2 held out the same rows %v", testRows)
	}

	_, _, err = LoadCSVHoldOut(holdOutTable(t, 4), opts, 1)
	wantErrContains(t, err, "4 rows are too few")
}
