package tensor

// WeightedLoss is Loss with a weight per sample, Keras's sample_weight (and
// class_weight, which the host turns into sample weights): sample n's loss
// and its gradient are multiplied by Weight[n] before the reduction, and the
// reduction still divides by the number of samples, not by the weights' sum
// (Keras's sum_over_batch_size). Weight holds one float32 per sample of the
// batch. It is a separate op rather than a field of Loss so that a Loss
// written without it keeps meaning "unweighted" (BufferID's zero value is a
// real buffer).
type WeightedLoss struct {
	Loss
	Weight BufferID
}

// Accesses implements Op.
func (o WeightedLoss) Accesses() []Access {
	return append(o.Loss.Accesses(), rd(o.Weight, 1, true))
}

// Check implements Checker.
func (o WeightedLoss) Check(p *Plan) error {
	return firstErr(o.Loss.Check(p), required(operand{"Weight", o.Weight}))
}
