package gpu

import (
	"testing"

	"github.com/anvil-ml/anvil/tensor"
)

// TestEmbeddingParity runs the lookup and its gradient against cpuref.
// The lookup copies, and both backends add each table row's gradient in
// float32 in position order, so they must match bit for bit. The indices
// repeat (a row summed several times), skip rows (zero gradient) and
// include invalid ones (out of range, negative, fractional: no row).
func TestEmbeddingParity(t *testing.T) {
	b := openBackend(t)
	const positions, dim, vocab = 7, 5, 11
	for _, sh := range shapes {
		t.Run(shapeName(sh.batch, sh.rows), func(t *testing.T) {
			p := tensor.NewPlan(sh.batch)
			idx := p.AddBuffer("idx", tensor.InputBuffer, true, tensor.Shape{positions})
			table := p.AddBuffer("table", tensor.ParamBuffer, false, tensor.Shape{vocab, dim})
			y := p.AddBuffer("y", tensor.ActivationBuffer, true, tensor.Shape{positions, dim})
			dy := p.AddBuffer("dy", tensor.GradientBuffer, true, tensor.Shape{positions, dim})
			dt := p.AddBuffer("dtable", tensor.GradientBuffer, false, tensor.Shape{vocab, dim})
			p.Emit(tensor.Train, tensor.EmbeddingLookup{Indices: idx, Table: table, Y: y, Positions: positions, Dim: dim, Vocab: vocab})
			p.Emit(tensor.Train, tensor.EmbeddingBackward{Indices: idx, DY: dy, DTable: dt, Positions: positions, Dim: dim, Vocab: vocab})
			init := func(id tensor.BufferID, n int) []float32 {
				if id != idx {
					return nil
				}
				out := make([]float32, n)
				for i := range out {
					out[i] = float32((i * 5) % (vocab - 2))
				}
				out[0], out[n/2], out[n-1] = vocab, -3, 2.5
				return out
			}
			cpu, gpu := parityRun{plan: p, init: init, steps: steps(2, sh.rows)}.run(t, b)
			compare(t, p, cpu, gpu, exact, nil)
		})
	}
}
