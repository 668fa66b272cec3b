package nn

import (
	"context"
	"errors"
	"fmt"
	"io"
	"iter"

	"github.com/anvil-ml/anvil/tensor"
)

// Source is a data set read one batch at a time, for data that does not
// fit in memory (what Keras takes as a tf.data.Dataset or a PyDataset).
// FitSource, EvaluateSource and PredictSource read it on a goroutine, ahead
// of the steps, and upload the samples as they come.
//
// Batches returns one pass over the data set, from its first batch; Fit
// calls it once per epoch. Each Data holds one or more samples in the form
// Data describes, and every batch of every pass must have the same form
// (features as X or as Bytes, targets as Y or as Labels). Batches may have
// any size: Fit regroups the samples into batches of FitOptions.BatchSize,
// the last one of a pass shorter when the samples do not divide evenly, as
// with in-memory data. Fit copies a batch's samples before asking for the
// next one, so a pass may reuse its memory.
//
// An error ends the pass, and Fit returns it saying which batch gave it.
// When Fit stops early (ctx cancelled, an error, a callback) it abandons
// the pass: the range loop over it ends, so the iterator's deferred
// clean-up runs. A pass should also watch ctx in anything that blocks.
type Source interface {
	Batches(ctx context.Context) iter.Seq2[Data, error]
}

// SourceFunc is a function used as a Source: it returns one pass per call.
type SourceFunc func(ctx context.Context) iter.Seq2[Data, error]

// Batches calls f.
func (f SourceFunc) Batches(ctx context.Context) iter.Seq2[Data, error] { return f(ctx) }

// BatchReader is a data set read by a Next method, as io.Reader reads
// bytes: Next returns the next batch, or io.EOF after the last one. A
// reader that also has a Reset() error method can be read more than once:
// ReaderSource calls Reset before each pass.
type BatchReader interface {
	Next(ctx context.Context) (Data, error)
}

// ReaderSource makes a Source of r. Without a Reset method r gives one
// pass only: a second epoch finds it empty, and Fit says so. Passes of the
// Source share r, so give Fit's training and validation data separate
// readers.
func ReaderSource(r BatchReader) Source {
	return SourceFunc(func(ctx context.Context) iter.Seq2[Data, error] {
		return func(yield func(Data, error) bool) {
			if rs, ok := r.(interface{ Reset() error }); ok {
				if err := rs.Reset(); err != nil {
					yield(Data{}, fmt.Errorf("reset: %w", err))
					return
				}
			}
			for {
				d, err := r.Next(ctx)
				if errors.Is(err, io.EOF) {
					return
				}
				if !yield(d, err) || err != nil {
					return
				}
			}
		}
	})
}

// DataSource makes a Source of in-memory data, in batches of batch samples
// (the last one shorter), sharing d's memory. It serves data that is
// already loaded to code written for Sources, and tests.
func DataSource(d Data, batch int) Source {
	return SourceFunc(func(ctx context.Context) iter.Seq2[Data, error] {
		return func(yield func(Data, error) bool) {
			n, err := dataRows(d)
			if err == nil && batch <= 0 {
				err = fmt.Errorf("batch size %d must be positive", batch)
			}
			if err != nil {
				yield(Data{}, fmt.Errorf("DataSource: %w", err))
				return
			}
			for lo := 0; lo < n; lo += batch {
				if !yield(sliceData(d, lo, min(lo+batch, n)), nil) {
					return
				}
			}
		}
	})
}

// dataRows is the number of samples of d, checking that every array of d
// holds that many, so that sliceData can cut it.
func dataRows(d Data) (int, error) {
	n := -1
	count := func(what string, rows, size, have int) error {
		switch {
		case size != have:
			return fmt.Errorf("%s has %d values for its shape's %d", what, have, size)
		case n >= 0 && rows != n:
			return fmt.Errorf("%s has %d samples, the first array %d", what, rows, n)
		}
		n = rows
		return nil
	}
	var errs []error
	for i, x := range d.X {
		if x == nil || len(x.Shape) == 0 {
			return 0, fmt.Errorf("input %d is empty", i)
		}
		errs = append(errs, count(fmt.Sprintf("input %d", i), x.Rows(), x.Shape.Size(), len(x.Data)))
	}
	for i, b := range d.Bytes {
		if b == nil || len(b.Shape) == 0 {
			return 0, fmt.Errorf("input %d is empty", i)
		}
		errs = append(errs, count(fmt.Sprintf("input %d", i), b.Rows(), b.Shape.Size(), len(b.Data)))
	}
	if n < 0 {
		return 0, fmt.Errorf("the data has no features")
	}
	if d.Y != nil && len(d.Y.Shape) > 0 {
		errs = append(errs, count("Y", d.Y.Rows(), d.Y.Shape.Size(), len(d.Y.Data)))
	}
	if d.Labels != nil {
		errs = append(errs, count("Labels", len(d.Labels), len(d.Labels), len(d.Labels)))
	}
	return n, errors.Join(errs...)
}

// sliceData returns samples lo..hi-1 of d, sharing its memory. The arrays
// of d must hold at least hi samples each (checkData's rule).
func sliceData(d Data, lo, hi int) Data {
	out := Data{}
	for _, x := range d.X {
		out.X = append(out.X, sliceRows(x, lo, hi))
	}
	for _, b := range d.Bytes {
		shape := b.Shape.Clone()
		shape[0] = hi - lo
		out.Bytes = append(out.Bytes, &tensor.Bytes{Shape: shape, Data: b.Data[lo*b.RowSize() : hi*b.RowSize() : hi*b.RowSize()]})
	}
	if d.Y != nil {
		out.Y = sliceRows(d.Y, lo, hi)
	}
	if d.Labels != nil {
		out.Labels = d.Labels[lo:hi:hi]
	}
	return out
}

// sliceRows returns rows lo..hi-1 of t, sharing its memory.
func sliceRows(t *tensor.Tensor, lo, hi int) *tensor.Tensor {
	if t == nil || len(t.Shape) == 0 {
		return t
	}
	shape := t.Shape.Clone()
	shape[0] = hi - lo
	r := t.RowSize()
	return &tensor.Tensor{Shape: shape, Data: t.Data[lo*r : hi*r : hi*r]}
}
