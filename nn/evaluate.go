package nn

import (
	"fmt"

	"github.com/anvil-ml/anvil/tensor"
)

// Evaluate returns the loss and each compiled metric on x and y, in
// MetricNames order, computed in batches of batchSize (0 means 32) with
// inference behaviour (moving batch-norm statistics, no dropout).
func (m *Model) Evaluate(x, y *tensor.Tensor, batchSize int) ([]float64, error) {
	return m.EvaluateInputs([]*tensor.Tensor{x}, y, batchSize)
}

// EvaluateInputs is Evaluate for models with several inputs.
func (m *Model) EvaluateInputs(xs []*tensor.Tensor, y *tensor.Tensor, batchSize int) ([]float64, error) {
	if m.compiled == nil {
		return nil, fmt.Errorf("evaluate %q: call Compile first", m.name)
	}
	if batchSize <= 0 {
		batchSize = 32
	}
	n, err := m.checkX(xs, "evaluate")
	if err == nil {
		err = m.checkY(y, n, "evaluate")
	}
	if err != nil {
		return nil, err
	}
	batchSize = capBatch(batchSize, n)
	r, err := m.program(batchSize)
	if err != nil {
		return nil, err
	}
	return m.evaluate(r, xs, y, batchSize)
}

// evaluate runs the Eval routine over all samples, in order.
func (m *Model) evaluate(r *runner, xs []*tensor.Tensor, y *tensor.Tensor, batchSize int) ([]float64, error) {
	n := xs[0].Rows()
	batchSize = min(batchSize, r.batch)
	if err := r.resetSums(); err != nil {
		return nil, err
	}
	order := identity(n)
	for lo := 0; lo < n; lo += batchSize {
		hi := min(lo+batchSize, n)
		if err := r.feed(xs, y, order, lo, hi); err != nil {
			return nil, err
		}
		if err := r.prog.Run(tensor.Eval, tensor.StepArgs{Rows: hi - lo}); err != nil {
			return nil, fmt.Errorf("evaluate %q: %w", m.name, err)
		}
	}
	return m.means(r, n)
}

// Predict returns the model's output for every sample of x, as an
// [n, output shape...] tensor, computed in batches of batchSize (0 means 32).
func (m *Model) Predict(x *tensor.Tensor, batchSize int) (*tensor.Tensor, error) {
	return m.PredictInputs([]*tensor.Tensor{x}, batchSize)
}

// PredictInputs is Predict for models with several inputs.
func (m *Model) PredictInputs(xs []*tensor.Tensor, batchSize int) (*tensor.Tensor, error) {
	if batchSize <= 0 {
		batchSize = 32
	}
	n, err := m.checkX(xs, "predict")
	if err != nil {
		return nil, err
	}
	batchSize = capBatch(batchSize, n)
	r, err := m.program(batchSize)
	if err != nil {
		return nil, err
	}
	batchSize = min(batchSize, r.batch)
	outShape := append(tensor.Shape{n}, m.output.shape...)
	out := tensor.New(outShape...)
	size := m.output.shape.Size()
	order := identity(n)
	for lo := 0; lo < n; lo += batchSize {
		hi := min(lo+batchSize, n)
		if err := r.feed(xs, nil, order, lo, hi); err != nil {
			return nil, err
		}
		if err := r.prog.Run(tensor.Predict, tensor.StepArgs{Rows: hi - lo}); err != nil {
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
