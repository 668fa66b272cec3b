package tensor

// The optimizer updates follow Keras 3 (and tf.keras ≥ 2.11) exactly. The
// learning rate comes from StepArgs.LearningRate and the 1-based step from
// StepArgs.Step.

// SGDUpdate applies stochastic gradient descent. With Momentum 0 it is
// Param −= lr·Grad and Velocity may be NoBuffer. Otherwise
// Velocity = Momentum·Velocity − lr·Grad, then Param += Velocity, or with
// Nesterov Param += Momentum·Velocity − lr·Grad.
type SGDUpdate struct {
	Param, Grad, Velocity BufferID
	Size                  int
	Momentum              float32
	Nesterov              bool
}

// Accesses implements Op.
func (o SGDUpdate) Accesses() []Access {
	acc := []Access{rd(o.Grad, o.Size, false), rd(o.Param, o.Size, false), wr(o.Param, o.Size, false)}
	if o.Velocity != NoBuffer {
		acc = append(acc, rd(o.Velocity, o.Size, false), wr(o.Velocity, o.Size, false))
	}
	return acc
}

// AdamUpdate applies Adam: M += (Grad−M)(1−Beta1); V += (Grad²−V)(1−Beta2);
// Param −= lr·sqrt(1−Beta2^t)/(1−Beta1^t) · M/(sqrt(V)+Epsilon).
// With WeightDecay wd not 0 (Keras's AdamW), Param −= Param·wd·lr comes
// first: Keras's decoupled decay, applied before the Adam step.
type AdamUpdate struct {
	Param, Grad, M, V     BufferID
	Size                  int
	Beta1, Beta2, Epsilon float32
	WeightDecay           float32
}

// Accesses implements Op.
func (o AdamUpdate) Accesses() []Access {
	return []Access{rd(o.Grad, o.Size, false), rd(o.Param, o.Size, false), wr(o.Param, o.Size, false),
		rd(o.M, o.Size, false), wr(o.M, o.Size, false), rd(o.V, o.Size, false), wr(o.V, o.Size, false)}
}

// RMSpropUpdate applies RMSprop: MeanSquare = Rho·MeanSquare + (1−Rho)·Grad²;
// step = lr·Grad/sqrt(MeanSquare+Epsilon); with Momentum 0, Param −= step
// (Velocity may be NoBuffer), else Velocity = Momentum·Velocity + step and
// Param −= Velocity.
type RMSpropUpdate struct {
	Param, Grad, MeanSquare, Velocity BufferID
	Size                              int
	Rho, Momentum, Epsilon            float32
}

// Accesses implements Op.
func (o RMSpropUpdate) Accesses() []Access {
	acc := []Access{rd(o.Grad, o.Size, false), rd(o.Param, o.Size, false), wr(o.Param, o.Size, false),
		rd(o.MeanSquare, o.Size, false), wr(o.MeanSquare, o.Size, false)}
	if o.Velocity != NoBuffer {
		acc = append(acc, rd(o.Velocity, o.Size, false), wr(o.Velocity, o.Size, false))
	}
	return acc
}

// velocity is the operand a momentum optimizer needs when Momentum is not 0.
func velocity(id BufferID, momentum float32) error {
	if momentum == 0 {
		return nil
	}
	return required(operand{"Velocity (needed when Momentum is not 0)", id})
}

// Check implements Checker.
func (o SGDUpdate) Check(*Plan) error {
	return firstErr(positive("Size", o.Size), required(operand{"Param", o.Param}, operand{"Grad", o.Grad}),
		velocity(o.Velocity, o.Momentum))
}

// Check implements Checker.
func (o AdamUpdate) Check(*Plan) error {
	return firstErr(positive("Size", o.Size),
		required(operand{"Param", o.Param}, operand{"Grad", o.Grad}, operand{"M", o.M}, operand{"V", o.V}))
}

// Check implements Checker.
func (o RMSpropUpdate) Check(*Plan) error {
	return firstErr(positive("Size", o.Size),
		required(operand{"Param", o.Param}, operand{"Grad", o.Grad}, operand{"MeanSquare", o.MeanSquare}),
		velocity(o.Velocity, o.Momentum))
}
