package cpuref

import (
	"math"
	"testing"

	"github.com/anvil-ml/anvil/tensor"
)

// embeddingIndices returns rows·positions indices over 0..vocab-1 with
// repeats, plus three invalid ones (out of range, negative, fractional).
func embeddingIndices(n, vocab int) []float32 {
	idx := make([]float32, n)
	for i := range idx {
		idx[i] = float32((i*7 + i/3) % vocab)
	}
	idx[1], idx[4], idx[n-1] = float32(vocab), -1, 0.5
	return idx
}

// TestEmbedding checks the lookup and its scatter-add gradient against a
// float64 reference written from the op's definition, with rows beyond the
// valid ones left out of both.
func TestEmbedding(t *testing.T) {
	const batch, rows, positions, dim, vocab = 5, 4, 6, 3, 9
	r := newRig(t, batch)
	idx, y, dy := r.batched("idx", positions), r.batched("y", positions*dim), r.batched("dy", positions*dim)
	table, dtable := r.fixed("table", vocab*dim), r.fixed("dtable", vocab*dim)
	r.emit(tensor.EmbeddingLookup{Indices: idx, Table: table, Y: y, Positions: positions, Dim: dim, Vocab: vocab},
		tensor.EmbeddingBackward{Indices: idx, DY: dy, DTable: dtable, Positions: positions, Dim: dim, Vocab: vocab})
	r.compile()
	ix := embeddingIndices(batch*positions, vocab)
	rng := newRand(1)
	tv, dyv := uniform(rng, vocab*dim, -1, 1), uniform(rng, batch*positions*dim, -1, 1)
	r.write(idx, ix)
	r.write(table, tv)
	r.write(dy, dyv)
	r.write(dtable, uniform(rng, vocab*dim, -1, 1)) // overwritten
	r.run(rows)

	wantY := make([]float64, rows*positions*dim)
	wantD := make([]float64, vocab*dim)
	for p, x := range ix[:rows*positions] {
		v := int(x)
		if x < 0 || v >= vocab || float32(v) != x {
			continue
		}
		for d := range dim {
			wantY[p*dim+d] = float64(tv[v*dim+d])
			wantD[v*dim+d] += float64(dyv[p*dim+d])
		}
	}
	gotY := r.read(y)[:rows*positions*dim]
	for i, w := range wantY {
		if float64(gotY[i]) != w {
			t.Fatalf("y[%d] = %v, want %v", i, gotY[i], w)
		}
	}
	// Each sum has at most rows·positions float32 terms of |x| < 1.
	tol := float64(rows*positions) * 0x1p-23
	gotD := r.read(dtable)
	for i, w := range wantD {
		if got := gotD[i]; math.Abs(float64(got)-w) > tol {
			t.Fatalf("dtable[%d] = %v, want %v", i, got, w)
		}
	}
}
