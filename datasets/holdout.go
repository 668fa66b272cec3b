package datasets

import (
	"fmt"
	"slices"

	"github.com/anvil-ml/anvil/tensor"
)

// holdOutSalt separates the hold-out draw from the other random streams of
// the same seed (weights, shuffling, dropout).
const holdOutSalt = 0x484f_4c44 // "HOLD"

// HoldOut splits s into a training set and a test set of nTest examples
// drawn at random with seed: the same seed always holds out the same rows.
// Each part keeps the examples in their original order, in new memory.
func (s *Set) HoldOut(nTest int, seed uint64) (train, test *Set, err error) {
	n := s.Len()
	if nTest <= 0 || nTest >= n {
		return nil, nil, fmt.Errorf("datasets: %s: cannot hold out %d of %d examples and train on the rest", s.Source, nTest, n)
	}
	perm := tensor.NewStream(seed, holdOutSalt).Perm(n)
	testRows, trainRows := perm[:nTest], perm[nTest:]
	slices.Sort(testRows)
	slices.Sort(trainRows)
	return s.rows(trainRows), s.rows(testRows), nil
}

// rows returns a copy of s holding the examples at idx, in that order.
func (s *Set) rows(idx []int) *Set {
	out := *s
	if s.X != nil {
		out.X = gatherRows(s.X, idx)
	}
	if s.Images != nil {
		out.Images = gatherImages(s.Images, idx)
	}
	if s.Targets != nil {
		out.Targets = gatherRows(s.Targets, idx)
	}
	if s.Labels != nil {
		out.Labels = make([]int, len(idx))
		for i, r := range idx {
			out.Labels[i] = s.Labels[r]
		}
	}
	return &out
}

// gatherRows copies the rows of t at idx into a new tensor.
func gatherRows(t *tensor.Tensor, idx []int) *tensor.Tensor {
	row := t.RowSize()
	out := tensor.New(append(tensor.Shape{len(idx)}, t.Shape[1:]...)...)
	for i, r := range idx {
		copy(out.Data[i*row:(i+1)*row], t.Data[r*row:(r+1)*row])
	}
	return out
}

// gatherImages copies the images of b at idx into new memory.
func gatherImages(b *tensor.Bytes, idx []int) *tensor.Bytes {
	row := b.RowSize()
	out := &tensor.Bytes{Shape: append(tensor.Shape{len(idx)}, b.Shape[1:]...), Data: make([]uint8, len(idx)*row)}
	for i, r := range idx {
		copy(out.Data[i*row:(i+1)*row], b.Data[r*row:(r+1)*row])
	}
	return out
}

// LoadCSVHoldOut reads one table (see LoadCSV) and holds out a fifth of its
// rows, drawn at random with seed, as the test set; the rest is the
// training set. With opts.Standardize the standardizer is fitted on the
// training rows alone, so that no statistic of the test set leaks into
// training, and applied to both.
func LoadCSVHoldOut(path string, opts CSVOptions, seed uint64) (train, test *Set, err error) {
	standardize := opts.Standardize
	opts.Standardize = false
	all, err := LoadCSV(path, opts)
	if err != nil {
		return nil, nil, err
	}
	n := all.Len()
	if n < 5 {
		return nil, nil, fmt.Errorf("datasets: %s: %d rows are too few to hold out a fifth as the test set", path, n)
	}
	if train, test, err = all.HoldOut(n/5, seed); err != nil {
		return nil, nil, err
	}
	if standardize {
		s, err := FitStandardizer(train.X)
		if err != nil {
			return nil, nil, fmt.Errorf("datasets: %s: %w", path, err)
		}
		for _, part := range []*Set{train, test} {
			if err := s.Apply(part.X); err != nil {
				return nil, nil, fmt.Errorf("datasets: %s: %w", path, err)
			}
			part.Standardizer = s
		}
	}
	return train, test, nil
}
