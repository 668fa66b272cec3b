package tensor

import "fmt"

// LayerNorm is Keras's LayerNormalization over the last axis: at each of
// the Outer positions of a sample it normalises the C values with their own
// mean and biased variance, then scales and shifts:
//
//	Y = Gamma·(X−mean)·rstd + Beta,  rstd = 1/sqrt(var+Epsilon)
//
// and saves mean and rstd per position in Stats (Outer·2 per sample: mean,
// rstd) for the backward ops.
type LayerNorm struct {
	X, Gamma, Beta, Y, Stats BufferID
	Outer, C                 int
	Epsilon                  float32
}

// Accesses implements Op.
func (o LayerNorm) Accesses() []Access {
	return []Access{rd(o.X, o.Outer*o.C, true), rd(o.Gamma, o.C, false), rd(o.Beta, o.C, false),
		wr(o.Y, o.Outer*o.C, true), wr(o.Stats, 2*o.Outer, true)}
}

// Check implements Checker.
func (o LayerNorm) Check(p *Plan) error {
	if !(o.Epsilon > 0) {
		return fmt.Errorf("Epsilon %v must be positive", o.Epsilon)
	}
	return firstErr(positive("Outer, C", o.Outer, o.C),
		required(operand{"X", o.X}, operand{"Gamma", o.Gamma}, operand{"Beta", o.Beta}, operand{"Y", o.Y},
			operand{"Stats", o.Stats}))
}

// LayerNormBackward overwrites DX with the gradient of LayerNorm, from the
// saved Stats: with xhat = (X−mean)·rstd and g = DY·Gamma, at each position
//
//	DX = rstd·(g − mean(g) − xhat·mean(g·xhat))
//
// the means taken over the C values.
type LayerNormBackward struct {
	X, Stats, Gamma, DY, DX BufferID
	Outer, C                int
}

// Accesses implements Op.
func (o LayerNormBackward) Accesses() []Access {
	n := o.Outer * o.C
	return []Access{rd(o.X, n, true), rd(o.Stats, 2*o.Outer, true), rd(o.Gamma, o.C, false),
		rd(o.DY, n, true), wr(o.DX, n, true)}
}

// Check implements Checker.
func (o LayerNormBackward) Check(p *Plan) error {
	return firstErr(positive("Outer, C", o.Outer, o.C),
		required(operand{"X", o.X}, operand{"Stats", o.Stats}, operand{"Gamma", o.Gamma}, operand{"DY", o.DY},
			operand{"DX", o.DX}))
}

// LayerNormParamGrad overwrites DGamma and DBeta with LayerNorm's weight
// gradients: DGamma[c] = Σ DY·xhat and DBeta[c] = Σ DY over every position
// of every valid sample.
type LayerNormParamGrad struct {
	X, Stats, DY, DGamma, DBeta BufferID
	Outer, C                    int
}

// Accesses implements Op.
func (o LayerNormParamGrad) Accesses() []Access {
	n := o.Outer * o.C
	return []Access{rd(o.X, n, true), rd(o.Stats, 2*o.Outer, true), rd(o.DY, n, true),
		wr(o.DGamma, o.C, false), wr(o.DBeta, o.C, false)}
}

// Check implements Checker.
func (o LayerNormParamGrad) Check(p *Plan) error {
	return firstErr(positive("Outer, C", o.Outer, o.C),
		required(operand{"X", o.X}, operand{"Stats", o.Stats}, operand{"DY", o.DY}, operand{"DGamma", o.DGamma},
			operand{"DBeta", o.DBeta}))
}
