package tensor

import "fmt"

// BatchAxis says which MatMul dimension grows with the batch.
type BatchAxis int

// The batch placements a MatMul supports.
const (
	BatchNone BatchAxis = iota // all dimensions fixed
	BatchM                     // M is per sample: A and C are batched (forward, input gradient)
	BatchK                     // K is per sample: A and B are batched, C is not (weight gradient)
)

// MatMul computes C = op(A)·op(B), overwriting C. All matrices are
// row-major; op(A) is M×K (A is stored K×M when TransA), op(B) is K×N (B is
// stored N×K when TransB), C is M×N. The dimension named by Batch is given
// per sample and multiplied by the run-time row count.
type MatMul struct {
	A, B, C        BufferID
	M, N, K        int
	TransA, TransB bool
	Batch          BatchAxis
}

// Accesses implements Op.
func (o MatMul) Accesses() []Access {
	switch o.Batch {
	case BatchM:
		return []Access{rd(o.A, o.M*o.K, true), rd(o.B, o.K*o.N, false), wr(o.C, o.M*o.N, true)}
	case BatchK:
		return []Access{rd(o.A, o.M*o.K, true), rd(o.B, o.K*o.N, true), wr(o.C, o.M*o.N, false)}
	}
	return []Access{rd(o.A, o.M*o.K, false), rd(o.B, o.K*o.N, false), wr(o.C, o.M*o.N, false)}
}

// Check implements Checker.
func (o MatMul) Check(*Plan) error {
	if o.Batch < BatchNone || o.Batch > BatchK {
		return fmt.Errorf("unknown batch axis %d", o.Batch)
	}
	return firstErr(positive("M, N, K", o.M, o.N, o.K), required(operand{"A", o.A}, operand{"B", o.B}, operand{"C", o.C}))
}
