package tensor

// Synchronized batch normalization cuts BatchNormTrain and
// BatchNormBackward each at the point where the host sums over the
// replicas (segments.go): BatchNormMoments, an ExchangeBNMoments, then
// BatchNormApply; BatchNormBackSums, an ExchangeBNGradSums, then
// BatchNormBackApply.

// BatchNormMoments writes this replica's per-channel moments of X over its
// rows·Outer elements: Moments[2c] the mean of channel c and
// Moments[2c+1] M2, the sum of squared deviations from that mean.
type BatchNormMoments struct {
	X, Moments BufferID
	Outer, C   int
}

// Accesses implements Op.
func (o BatchNormMoments) Accesses() []Access {
	return []Access{rd(o.X, o.Outer*o.C, true), wr(o.Moments, 2*o.C, false)}
}

// Check implements Checker.
func (o BatchNormMoments) Check(*Plan) error {
	return firstErr(positive("Outer, C", o.Outer, o.C), required(operand{"X", o.X}, operand{"Moments", o.Moments}))
}

// BatchNormApply is BatchNormTrain with the batch statistics given (the
// global ones of synchronized batch normalization): Y = Gamma·(X−Mean)·
// InvStd + Beta, MovingMean = MovingMean·Momentum + Mean·(1−Momentum) and
// MovingVar = MovingVar·Momentum + BatchVar·(1−Momentum).
type BatchNormApply struct {
	X, Gamma, Beta, Mean, InvStd, BatchVar BufferID
	MovingMean, MovingVar, Y               BufferID
	Outer, C                               int
	Momentum                               float32
}

// Accesses implements Op.
func (o BatchNormApply) Accesses() []Access {
	n := o.Outer * o.C
	return []Access{rd(o.X, n, true), rd(o.Gamma, o.C, false), rd(o.Beta, o.C, false),
		rd(o.Mean, o.C, false), rd(o.InvStd, o.C, false), rd(o.BatchVar, o.C, false),
		rd(o.MovingMean, o.C, false), wr(o.MovingMean, o.C, false),
		rd(o.MovingVar, o.C, false), wr(o.MovingVar, o.C, false), wr(o.Y, n, true)}
}

// Check implements Checker.
func (o BatchNormApply) Check(*Plan) error {
	return firstErr(positive("Outer, C", o.Outer, o.C), required(operand{"X", o.X}, operand{"Gamma", o.Gamma},
		operand{"Beta", o.Beta}, operand{"Mean", o.Mean}, operand{"InvStd", o.InvStd}, operand{"BatchVar", o.BatchVar},
		operand{"MovingMean", o.MovingMean}, operand{"MovingVar", o.MovingVar}, operand{"Y", o.Y}))
}

// BatchNormBackSums writes BatchNormBackward's per-channel sums over this
// replica's rows: DBeta = Σ DY and DGamma = Σ DY·x̂, x̂ = (X−Mean)·InvStd.
// They are also the replica's gradients of Beta and Gamma.
type BatchNormBackSums struct {
	X, DY, Mean, InvStd, DGamma, DBeta BufferID
	Outer, C                           int
}

// Accesses implements Op.
func (o BatchNormBackSums) Accesses() []Access {
	n := o.Outer * o.C
	return []Access{rd(o.X, n, true), rd(o.DY, n, true), rd(o.Mean, o.C, false), rd(o.InvStd, o.C, false),
		wr(o.DGamma, o.C, false), wr(o.DBeta, o.C, false)}
}

// Check implements Checker.
func (o BatchNormBackSums) Check(*Plan) error {
	return firstErr(positive("Outer, C", o.Outer, o.C), required(operand{"X", o.X}, operand{"DY", o.DY},
		operand{"Mean", o.Mean}, operand{"InvStd", o.InvStd}, operand{"DGamma", o.DGamma}, operand{"DBeta", o.DBeta}))
}

// BatchNormBackApply is BatchNormBackward's input gradient with the sums
// given: DX = Gamma·InvStd·(DY − SumDY/m − x̂·SumDYXh/m), m = rows·Outer.
// With the sums of BatchNormBackSums it is BatchNormBackward's DX; with
// those of an ExchangeBNGradSums, synchronized batch normalization's. DX
// may alias DY.
type BatchNormBackApply struct {
	X, DY, Gamma, Mean, InvStd, SumDY, SumDYXh, DX BufferID
	Outer, C                                       int
}

// Accesses implements Op.
func (o BatchNormBackApply) Accesses() []Access {
	n := o.Outer * o.C
	return []Access{rd(o.X, n, true), rd(o.DY, n, true), rd(o.Gamma, o.C, false),
		rd(o.Mean, o.C, false), rd(o.InvStd, o.C, false), rd(o.SumDY, o.C, false), rd(o.SumDYXh, o.C, false),
		wr(o.DX, n, true)}
}

// Check implements Checker.
func (o BatchNormBackApply) Check(*Plan) error {
	return firstErr(positive("Outer, C", o.Outer, o.C), required(operand{"X", o.X}, operand{"DY", o.DY},
		operand{"Gamma", o.Gamma}, operand{"Mean", o.Mean}, operand{"InvStd", o.InvStd},
		operand{"SumDY", o.SumDY}, operand{"SumDYXh", o.SumDYXh}, operand{"DX", o.DX}))
}
