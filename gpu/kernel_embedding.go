package gpu

import (
	"github.com/anvil-ml/anvil/gpu/internal/vk"
	"github.com/anvil-ml/anvil/tensor"
)

// The embedding family: EmbeddingLookup and EmbeddingBackward.
// Shaders: embedding_lookup, embedding_backward.

func bindEmbeddingLookup(p *program, o tensor.EmbeddingLookup) (opKernel, error) {
	if err := positive("Positions, Dim, Vocab", o.Positions, o.Dim, o.Vocab); err != nil {
		return nil, err
	}
	ops := operands{p: p}
	idx, table, y := ops.in(o.Indices, "Indices"), ops.in(o.Table, "Table"), ops.in(o.Y, "Y")
	if ops.err != nil {
		return nil, ops.err
	}
	push := vk.Push{}.Uint32(u32(o.Positions)).Uint32(u32(o.Dim)).Uint32(u32(o.Vocab))
	return p.single("embedding_lookup", elemWG, push, p.groups(p.plan.Batch*o.Positions*o.Dim, elemWG), idx, table, y)
}

// bindEmbeddingBackward gives each element of DTable one invocation, which
// scans the step's indices in order and adds the DY values of those that
// select its row: deterministic and free of float atomics, at the cost of
// reading every index once per table element.
func bindEmbeddingBackward(p *program, o tensor.EmbeddingBackward) (opKernel, error) {
	if err := positive("Positions, Dim, Vocab", o.Positions, o.Dim, o.Vocab); err != nil {
		return nil, err
	}
	ops := operands{p: p}
	idx, dy, dt := ops.in(o.Indices, "Indices"), ops.in(o.DY, "DY"), ops.in(o.DTable, "DTable")
	if ops.err != nil {
		return nil, ops.err
	}
	push := vk.Push{}.Uint32(u32(o.Positions)).Uint32(u32(o.Dim)).Uint32(u32(o.Vocab))
	return p.single("embedding_backward", elemWG, push, p.groups(o.Vocab*o.Dim, elemWG), idx, dy, dt)
}
