package nn

import (
	"fmt"
	"slices"

	"github.com/anvil-ml/anvil/tensor"
)

// Evaluate returns the loss and each compiled metric on x and y, by name
// and in MetricNames order, computed in batches of batchSize (0 means 32)
// with inference behaviour (moving batch-norm statistics, no dropout).
func (m *Model) Evaluate(x, y *tensor.Tensor, batchSize int) (Results, error) {
	return m.EvaluateData(XY(x, y), batchSize)
}

// EvaluateInputs is Evaluate for models with several inputs.
func (m *Model) EvaluateInputs(xs []*tensor.Tensor, y *tensor.Tensor, batchSize int) (Results, error) {
	return m.EvaluateData(Data{X: xs, Y: y}, batchSize)
}

// EvaluateData is Evaluate for data of any form (see Data). The data is
// put on the backend once and all its steps run in one submission.
func (m *Model) EvaluateData(d Data, batchSize int) (Results, error) {

	if m.compiled == nil {
		return Results{}, fmt.Errorf("evaluate %q: call Compile first", m.name)
	}
	if batchSize <= 0 {
		batchSize = 32
	}
	cd, err := m.checkData(d, "evaluate", true)
	if err != nil {
		return Results{}, err
	}
	batchSize = capBatch(batchSize, cd.n)
	r, f, err := m.setFeeder(evalSet, cd, batchSize)
	if err != nil {
		return Results{}, fmt.Errorf("evaluate %q: %w", m.name, err)
	}
	defer f.close()
	vals, err := m.evaluate(r, f, batchSize)
	if err != nil {
		return Results{}, err
	}
	return Results{Names: m.MetricNames(), Values: vals}, nil

}

// setFeeder builds the program for d in set (evaluation or prediction)
// and puts d there.
func (m *Model) setFeeder(set int, d *checkedData, batch int) (*runner, *feeder, error) {
	var outRow int64
	if set == predictSet {
		outRow = 4 * int64(m.output.shape.Size())
	}
	spec, chunk, err := m.placementWith(d, batch, outRow)
	if err != nil {
		return nil, nil, err
	}
	var need dataSpecs
	need[set] = spec
	r, err := m.program(batch, need)
	if err != nil {
		return nil, nil, err
	}
	f, err := newFeeder(r, set, d, batch, chunk)
	return r, f, err
}

// evaluate runs the Eval routine over all samples of f's set, in order, in
// one submission per resident window (per chunk of a Source).
func (m *Model) evaluate(r *runner, f *feeder, batch int) ([]float64, error) {
	if err := r.resetSums(); err != nil {
		return nil, err
	}
	if _, err := f.begin(0, 0, false); err != nil {
		return nil, err
	}
	var args []tensor.StepArgs
	for s := 0; s < f.steps(); {
		first, end, err := f.window(s, f.steps())
		if err != nil {
			return nil, err
		}
		args = windowArgs(args[:0], s, end, first, batch, f.rows())
		if err := r.prog.RunSteps(tensor.Eval, args); err != nil {
			return nil, fmt.Errorf("evaluate %q: %w", m.name, err)
		}
		s = end
	}
	return m.means(r, f.rows())
}

// Predict returns the model's output for every sample of x, as an
// [n, output shape...] tensor, computed in batches of batchSize (0 means 32).
func (m *Model) Predict(x *tensor.Tensor, batchSize int) (*tensor.Tensor, error) {
	return m.PredictData(Data{X: []*tensor.Tensor{x}}, batchSize)
}

// PredictInputs is Predict for models with several inputs.
func (m *Model) PredictInputs(xs []*tensor.Tensor, batchSize int) (*tensor.Tensor, error) {
	return m.PredictData(Data{X: xs}, batchSize)
}

// PredictData is Predict for features of any form (see Data; targets are
// ignored). The features are put on the backend once, the steps run in one
// submission per resident window, and their outputs collect on the backend
// and are read once (once per chunk when the set is streamed).
func (m *Model) PredictData(d Data, batchSize int) (*tensor.Tensor, error) {
	if batchSize <= 0 {
		batchSize = 32
	}
	cd, err := m.checkData(d, "predict", false)
	if err != nil {
		return nil, err
	}
	batchSize = capBatch(batchSize, cd.n)
	r, f, err := m.setFeeder(predictSet, cd, batchSize)
	if err != nil {
		return nil, fmt.Errorf("predict %q: %w", m.name, err)
	}
	defer f.close()
	out := tensor.New(append(tensor.Shape{cd.n}, m.output.shape...)...)
	if _, err := m.predict(r, f, batchSize, out.Data); err != nil {
		return nil, fmt.Errorf("predict %q: %w", m.name, err)
	}
	return out, nil
}

// predict runs the Predict routine over all samples of f's set, in order,
// into out, which it grows when it is short (a Source's samples are not
// counted ahead): one submission and one read per resident window.
func (m *Model) predict(r *runner, f *feeder, batch int, out []float32) ([]float32, error) {
	if _, err := f.begin(0, 0, false); err != nil {
		return nil, err
	}
	size := m.output.shape.Size()
	collected := r.low.sets[predictSet].out
	var args []tensor.StepArgs
	var window []float32
	for s := 0; s < f.steps(); {
		first, end, err := f.window(s, f.steps())
		if err != nil {
			return nil, err
		}
		n := f.rows()
		args = windowArgs(args[:0], s, end, first, batch, n)
		if err := r.prog.RunSteps(tensor.Predict, args); err != nil {
			return nil, err
		}
		// The window's outputs are rows first.. of the collected buffer;
		// Read starts at row 0, so a window further in (a streamed set's
		// second slot) reads through a scratch copy.
		lo, hi := s*batch, min(end*batch, n)
		if len(out) < hi*size {
			out = append(out, make([]float32, hi*size-len(out))...)
		}
		dst := out[lo*size : hi*size]
		if first > 0 {
			window = slices.Grow(window[:0], (first+hi-lo)*size)[:(first+hi-lo)*size]
			dst = window
		}
		if err := r.prog.Read(collected, dst); err != nil {
			return nil, err
		}
		if first > 0 {
			copy(out[lo*size:hi*size], window[first*size:])
		}
		s = end
	}
	return out, nil
}

// windowArgs appends to args the arguments of steps s..end-1 of an epoch
// over n samples in batches of batch, whose rows begin at first in the
// order.
func windowArgs(args []tensor.StepArgs, s, end, first, batch, n int) []tensor.StepArgs {
	for i := s; i < end; i++ {
		args = append(args, tensor.StepArgs{Rows: min(batch, n-i*batch), Start: first + (i-s)*batch})
	}
	return args
}

// capBatch limits a batch size to the n samples there are, as Keras does:
// a larger plan would only hold memory no step uses.
func capBatch(batch, n int) int {
	if n > 0 && batch > n {
		return n
	}
	return batch
}
