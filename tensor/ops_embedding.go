package tensor

// EmbeddingLookup is Keras's Embedding forward: each of the Positions
// indices of a sample selects a row of Table (Vocab rows of Dim values).
// For r < Rows and l < Positions, with x = Indices[r, l]:
//
//	Y[r, l, d] = Table[x, d]   when x is a whole number in 0..Vocab-1
//	Y[r, l, d] = 0             otherwise
//
// Indices are float32 (a model's inputs are float32); nn rejects an index
// that is not a whole number in range before a step runs, so the zero rows
// only keep a kernel from reading outside Table.
type EmbeddingLookup struct {
	Indices, Table, Y     BufferID
	Positions, Dim, Vocab int
}

// Accesses implements Op.
func (o EmbeddingLookup) Accesses() []Access {
	return []Access{rd(o.Indices, o.Positions, true), rd(o.Table, o.Vocab*o.Dim, false),
		wr(o.Y, o.Positions*o.Dim, true)}
}

// Check implements Checker.
func (o EmbeddingLookup) Check(p *Plan) error {
	return firstErr(positive("Positions, Dim, Vocab", o.Positions, o.Dim, o.Vocab),
		required(operand{"Indices", o.Indices}, operand{"Table", o.Table}, operand{"Y", o.Y}),
		p.wantFloat(o.Indices, o.Table, o.Y))
}

// EmbeddingBackward overwrites DTable with the gradient of EmbeddingLookup,
// a scatter-add: DTable[v, d] is the sum of DY[r, l, d] over the valid rows'
// positions whose index is v, added in order of r then l (so every backend
// gives the same float32 sum, with no atomics), and 0 for a row no index
// selects.
type EmbeddingBackward struct {
	Indices, DY, DTable   BufferID
	Positions, Dim, Vocab int
}

// Accesses implements Op.
func (o EmbeddingBackward) Accesses() []Access {
	return []Access{rd(o.Indices, o.Positions, true), rd(o.DY, o.Positions*o.Dim, true),
		wr(o.DTable, o.Vocab*o.Dim, false)}
}

// Check implements Checker.
func (o EmbeddingBackward) Check(p *Plan) error {
	return firstErr(positive("Positions, Dim, Vocab", o.Positions, o.Dim, o.Vocab),
		required(operand{"Indices", o.Indices}, operand{"DY", o.DY}, operand{"DTable", o.DTable}),
		p.wantFloat(o.Indices, o.DY, o.DTable))
}

// EmbeddingIndex returns the table row index x selects and whether it
// selects one: x must be a whole number in 0..vocab-1. Both backends and
// nn's input check use it, so they agree on which indices are valid.
func EmbeddingIndex(x float32, vocab int) (int, bool) {
	if !(x >= 0 && x < float32(vocab)) || x != float32(int(x)) {
		return 0, false
	}
	return int(x), true
}
