package selftest

import (
	"fmt"
	"math/rand/v2"

	"github.com/anvil-ml/anvil/tensor"
)

// embeddingFamilies: the lookup copies rows and the gradient adds each
// row's DY values in float32 in position order on both backends, so both
// must match exactly.
func embeddingFamilies() []family {
	return []family{{name: "embedding", build: embeddingCases}}
}

// embeddingCases: a lookup and its gradient over random sizes, with
// indices that repeat, leave rows unused and include invalid ones.
func embeddingCases(r *rand.Rand) []*opCase {
	batch, rows := batchRows(r)
	c := newCase(batch, rows...)
	c.name = "embedding"
	positions, dim, vocab := between(r, 1, 30), between(r, 1, 70), between(r, 2, 50)
	idx := c.buf("idx", tensor.InputBuffer, true, positions)
	ix := make([]float32, batch*positions)
	for i := range ix {
		ix[i] = float32(r.IntN(vocab + 1)) // vocab itself is out of range
	}
	ix[0] = -1
	c.init[idx] = ix
	desc := fmt.Sprintf("positions %d dim %d vocab %d", positions, dim, vocab)
	c.emit("EmbeddingLookup "+desc, tensor.EmbeddingLookup{Indices: idx,
		Table: c.buf("table", tensor.ParamBuffer, false, vocab, dim),
		Y:     c.buf("y", tensor.ActivationBuffer, true, positions, dim), Positions: positions, Dim: dim, Vocab: vocab}, nil)
	c.emit("EmbeddingBackward "+desc, tensor.EmbeddingBackward{Indices: idx,
		DY:     c.buf("dy", tensor.GradientBuffer, true, positions, dim),
		DTable: c.buf("dtable", tensor.GradientBuffer, false, vocab, dim), Positions: positions, Dim: dim, Vocab: vocab}, nil)
	return []*opCase{c}
}
