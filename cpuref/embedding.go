package cpuref

import "github.com/anvil-ml/anvil/tensor"

// embeddingLookup is a bound tensor.EmbeddingLookup: each index copies a
// table row, an invalid one writes zeros.
type embeddingLookup struct {
	idx, table, y         []float32
	positions, dim, vocab int
}

func (p *program) bindEmbeddingLookup(o tensor.EmbeddingLookup) (kernel, error) {
	bs, err := p.need(idRole{o.Indices, "Indices"}, idRole{o.Table, "Table"}, idRole{o.Y, "Y"})
	if err != nil {
		return nil, err
	}
	return &embeddingLookup{idx: bs[0], table: bs[1], y: bs[2], positions: o.Positions, dim: o.Dim, vocab: o.Vocab}, nil
}

func (k *embeddingLookup) run(a *tensor.StepArgs) {
	d := k.dim
	for i, x := range k.idx[:a.Rows*k.positions] {
		dst := k.y[i*d : (i+1)*d]
		if v, ok := tensor.EmbeddingIndex(x, k.vocab); ok {
			copy(dst, k.table[v*d:(v+1)*d])
		} else {
			clear(dst)
		}
	}
}

// embeddingBackward is a bound tensor.EmbeddingBackward: it clears DTable
// and adds each position's DY row to the row its index selects, in
// position order, in float32 as the GPU does, so the two match exactly.
type embeddingBackward struct {
	idx, dy, dtable       []float32
	positions, dim, vocab int
}

func (p *program) bindEmbeddingBackward(o tensor.EmbeddingBackward) (kernel, error) {
	bs, err := p.need(idRole{o.Indices, "Indices"}, idRole{o.DY, "DY"}, idRole{o.DTable, "DTable"})
	if err != nil {
		return nil, err
	}
	return &embeddingBackward{idx: bs[0], dy: bs[1], dtable: bs[2], positions: o.Positions, dim: o.Dim, vocab: o.Vocab}, nil
}

func (k *embeddingBackward) run(a *tensor.StepArgs) {
	d := k.dim
	clear(k.dtable[:k.vocab*d])
	for i, x := range k.idx[:a.Rows*k.positions] {
		v, ok := tensor.EmbeddingIndex(x, k.vocab)
		if !ok {
			continue
		}
		row, src := k.dtable[v*d:(v+1)*d], k.dy[i*d:(i+1)*d]
		for j := range row {
			row[j] += src[j]
		}
	}
}
