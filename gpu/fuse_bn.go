package gpu

import "github.com/anvil-ml/anvil/tensor"

// Batch normalisation followed by a ReLU or LeakyReLU (the reference CNN's
// every block) is four dispatches each way when recorded op by op: the
// statistics, the normalisation and the activation forward; the
// activation's backward pass and the two of the batch-norm backward pass
// back. fuseBNActivation pairs them, so that bn_apply_act (bn_infer_act
// when evaluating) applies the rectifier as it normalises and
// bn_backward_sums_act takes the
// rectifier's derivative as it sums: one dispatch and one barrier fewer
// each way. Both compute the same float32 operations as the pair they
// replace (shaders/rectifier.glsl), so the results are those of the
// unfused ops bit for bit; the CPU reference is that pair in cpuref.

// bnAct is an internal op: a BatchNormTrain or BatchNormInfer and the
// rectifier applied to its Y, recorded as one kernel. It is never part of
// a tensor.Plan.
type bnAct struct {
	bn  tensor.Op
	act tensor.Activation
}

// Accesses implements tensor.Op.
func (f bnAct) Accesses() []tensor.Access { return append(f.bn.Accesses(), f.act.Accesses()...) }

// bindBNAct binds f's batch norm with its rectifier.
func bindBNAct(p *program, f bnAct) (opKernel, error) {
	if o, ok := f.bn.(tensor.BatchNormInfer); ok {
		return bindBNInferAct(p, o, &f.act)
	}
	return bindBNTrainAct(p, f.bn.(tensor.BatchNormTrain), &f.act)
}

// actBNBackward is an internal op: a rectifier's backward pass and the
// BatchNormBackward that reads its DX, recorded as one kernel.
type actBNBackward struct {
	act tensor.ActivationBackward
	bn  tensor.BatchNormBackward
}

// Accesses implements tensor.Op.
func (f actBNBackward) Accesses() []tensor.Access {
	return append(f.act.Accesses(), f.bn.Accesses()...)
}

// rectifier reports whether fn is one the fused shaders apply.
func rectifier(fn tensor.ActFn) bool { return fn == tensor.ReLU || fn == tensor.LeakyReLU }

// fuseBNActivation returns ops with each adjacent pair that bnAct or
// actBNBackward can record replaced by it.
func fuseBNActivation(ops []tensor.Op) []tensor.Op {
	if noFusion {
		return ops
	}
	var out []tensor.Op
	for i := 0; i < len(ops); i++ {
		if i+1 < len(ops) {
			if f, ok := pairBNAct(ops[i], ops[i+1]); ok {
				out = append(out, f)
				i++
				continue
			}
		}
		out = append(out, ops[i])
	}
	return out
}

// pairBNAct returns the fused op of a and b, if they are a BatchNormTrain
// or BatchNormInfer and a rectifier of its output, or a rectifier's backward pass and the
// BatchNormBackward of its result. The elementwise fused shaders read and
// write element i in the same invocation only, but the rectifier's output
// must not be a buffer the batch norm reads across elements (its
// statistics), so such aliasing is left unfused.
func pairBNAct(a, b tensor.Op) (tensor.Op, bool) {
	switch x := a.(type) {
	case tensor.BatchNormTrain:
		act, ok := b.(tensor.Activation)
		if !ok || !rectifier(act.Fn) || act.X != x.Y || act.Size != x.Outer*x.C ||
			touches(act.Y, x.X, x.Gamma, x.Beta, x.MovingMean, x.MovingVar, x.Mean, x.InvStd) {
			return nil, false
		}
		return bnAct{bn: x, act: act}, true
	case tensor.BatchNormInfer:
		act, ok := b.(tensor.Activation)
		if !ok || !rectifier(act.Fn) || act.X != x.Y || act.Size != x.Outer*x.C ||
			touches(act.Y, x.X, x.Gamma, x.Beta, x.MovingMean, x.MovingVar) {
			return nil, false
		}
		return bnAct{bn: x, act: act}, true
	case tensor.ActivationBackward:
		bn, ok := b.(tensor.BatchNormBackward)
		if !ok || !rectifier(x.Fn) || bn.DY != x.DX || x.Size != bn.Outer*bn.C ||
			touches(x.DX, x.X, bn.X, bn.Gamma, bn.Mean, bn.InvStd, bn.DX, bn.DGamma, bn.DBeta) ||
			touches(bn.DX, x.DY, x.X) || touches(bn.DGamma, x.DY, x.X) || touches(bn.DBeta, x.DY, x.X) {
			return nil, false
		}
		return actBNBackward{act: x, bn: bn}, true
	}
	return nil, false
}

// touches reports whether id is one of ids.
func touches(id tensor.BufferID, ids ...tensor.BufferID) bool {
	for _, o := range ids {
		if o == id {
			return true
		}
	}
	return false
}
