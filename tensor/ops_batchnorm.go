package tensor

// BatchNormTrain normalises each of C channels with the statistics of the
// current batch (over every valid sample and each of its Outer positions),
// then scales and shifts: Y = Gamma·(X−mean)·invstd + Beta, with
// invstd = 1/sqrt(var+Epsilon) and var the biased batch variance. It saves
// mean and invstd for the backward pass and updates the moving statistics:
// moving = moving·Momentum + batch·(1−Momentum). The variance that enters
// the moving average is the unbiased one (×m/(m−1), m the element count per
// channel) when UnbiasedMovingVar is set, as Keras's fused kernel for images
// does, and the biased one otherwise.
type BatchNormTrain struct {
	X, Gamma, Beta, MovingMean, MovingVar BufferID
	Y, Mean, InvStd                       BufferID
	Outer, C                              int
	Momentum, Epsilon                     float32
	UnbiasedMovingVar                     bool
}

// Accesses implements Op.
func (o BatchNormTrain) Accesses() []Access {
	n := o.Outer * o.C
	return []Access{rd(o.X, n, true), rd(o.Gamma, o.C, false), rd(o.Beta, o.C, false),
		rd(o.MovingMean, o.C, false), wr(o.MovingMean, o.C, false),
		rd(o.MovingVar, o.C, false), wr(o.MovingVar, o.C, false),
		wr(o.Y, n, true), wr(o.Mean, o.C, false), wr(o.InvStd, o.C, false)}
}

// BatchNormInfer normalises with the moving statistics:
// Y = Gamma·(X−MovingMean)/sqrt(MovingVar+Epsilon) + Beta.
type BatchNormInfer struct {
	X, Gamma, Beta, MovingMean, MovingVar, Y BufferID
	Outer, C                                 int
	Epsilon                                  float32
}

// Accesses implements Op.
func (o BatchNormInfer) Accesses() []Access {
	n := o.Outer * o.C
	return []Access{rd(o.X, n, true), rd(o.Gamma, o.C, false), rd(o.Beta, o.C, false),
		rd(o.MovingMean, o.C, false), rd(o.MovingVar, o.C, false), wr(o.Y, n, true)}
}

// BatchNormBackward computes the gradients of BatchNormTrain from the saved
// batch mean and invstd: DGamma = Σ DY·x̂, DBeta = Σ DY, and
// DX = Gamma·invstd·(DY − mean(DY) − x̂·mean(DY·x̂)), with x̂ the normalised
// input and the means over the m elements of each channel. All three outputs
// are overwritten.
type BatchNormBackward struct {
	X, DY, Gamma, Mean, InvStd BufferID
	DX, DGamma, DBeta          BufferID
	Outer, C                   int
}

// Accesses implements Op.
func (o BatchNormBackward) Accesses() []Access {
	n := o.Outer * o.C
	return []Access{rd(o.X, n, true), rd(o.DY, n, true), rd(o.Gamma, o.C, false),
		rd(o.Mean, o.C, false), rd(o.InvStd, o.C, false),
		wr(o.DX, n, true), wr(o.DGamma, o.C, false), wr(o.DBeta, o.C, false)}
}

// Check implements Checker.
func (o BatchNormTrain) Check(*Plan) error {
	return firstErr(positive("Outer, C", o.Outer, o.C), required(operand{"X", o.X}, operand{"Gamma", o.Gamma},
		operand{"Beta", o.Beta}, operand{"MovingMean", o.MovingMean}, operand{"MovingVar", o.MovingVar},
		operand{"Y", o.Y}, operand{"Mean", o.Mean}, operand{"InvStd", o.InvStd}))
}

// Check implements Checker.
func (o BatchNormInfer) Check(*Plan) error {
	return firstErr(positive("Outer, C", o.Outer, o.C), required(operand{"X", o.X}, operand{"Gamma", o.Gamma},
		operand{"Beta", o.Beta}, operand{"MovingMean", o.MovingMean}, operand{"MovingVar", o.MovingVar}, operand{"Y", o.Y}))
}

// Check implements Checker.
func (o BatchNormBackward) Check(*Plan) error {
	return firstErr(positive("Outer, C", o.Outer, o.C), required(operand{"X", o.X}, operand{"DY", o.DY},
		operand{"Gamma", o.Gamma}, operand{"Mean", o.Mean}, operand{"InvStd", o.InvStd},
		operand{"DX", o.DX}, operand{"DGamma", o.DGamma}, operand{"DBeta", o.DBeta}))
}
