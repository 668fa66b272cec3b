package nn

import (
	"fmt"

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
	spec, chunk, err := m.placement(d, batch)
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
// one submission per resident window.
func (m *Model) evaluate(r *runner, f *feeder, batch int) ([]float64, error) {
	if err := r.resetSums(); err != nil {
		return nil, err
	}
	if err := f.setOrder(identity(f.data.n)); err != nil {
		return nil, err
	}
	n := f.data.n
	steps := (n + batch - 1) / batch
	var args []tensor.StepArgs
	for s := 0; s < steps; {
		first, end, err := f.window(s, steps)
		if err != nil {
			return nil, err
		}
		args = args[:0]
		for i := s; i < end; i++ {
			args = append(args, tensor.StepArgs{Rows: min(batch, n-i*batch), Start: first + (i-s)*batch})
		}
		if err := r.prog.RunSteps(tensor.Eval, args); err != nil {
			return nil, fmt.Errorf("evaluate %q: %w", m.name, err)
		}
		s = end
	}
	return m.means(r, n)
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
// ignored). The features are put on the backend once; the output buffer
// holds one batch, so it is read after each step.
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
	n := cd.n
	if err := f.setOrder(identity(n)); err != nil {
		return nil, fmt.Errorf("predict %q: %w", m.name, err)
	}
	out := tensor.New(append(tensor.Shape{n}, m.output.shape...)...)
	size := m.output.shape.Size()
	steps := (n + batchSize - 1) / batchSize
	for s := 0; s < steps; s++ {
		first, _, err := f.window(s, steps)
		if err != nil {
			return nil, fmt.Errorf("predict %q: %w", m.name, err)
		}
		lo, hi := s*batchSize, min((s+1)*batchSize, n)
		if err := r.prog.Run(tensor.Predict, tensor.StepArgs{Rows: hi - lo, Start: first}); err != nil {
			return nil, fmt.Errorf("predict %q: %w", m.name, err)
		}
		if err := r.prog.Read(r.low.output, out.Data[lo*size:hi*size]); err != nil {
			return nil, fmt.Errorf("predict %q: %w", m.name, err)
		}
	}
	return out, nil
}

// capBatch limits a batch size to the n samples there are, as Keras does:
// a larger plan would only hold memory no step uses.
func capBatch(batch, n int) int {
	if n > 0 && batch > n {
		return n
	}
	return batch
}
