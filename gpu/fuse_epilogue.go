package gpu

import (
	"fmt"
	"math"

	"github.com/anvil-ml/anvil/gpu/internal/vk"
	"github.com/anvil-ml/anvil/tensor"
)

// A Dense or Conv2D layer lowers to its product, a BiasAdd in place on
// the product and, for a layer with an activation, an Activation of the
// biased product: three dispatches and two barriers, each pass reading
// back what the one before just wrote. fuseEpilogue folds the BiasAdd and
// an elementwise Activation into the product's store
// (shaders/gemm_epilogue.glsl): one dispatch (two with split-K, whose
// reduction applies the epilogue) that writes the biased product to C and
// its activation to the Activation's output. The epilogue computes the
// same float32 operations as bias_add and activation, so the results are
// the unfused ops' bit for bit; the CPU reference is those ops in cpuref.

// gemmEpi is an internal op: a MatMul (batched along M) or a Conv2D, with
// the BiasAdd and Activation of its output that follow it, recorded as one
// kernel. It is never part of a tensor.Plan.
type gemmEpi struct {
	gemm            tensor.Op // tensor.MatMul or tensor.Conv2D
	bias            tensor.BiasAdd
	act             tensor.Activation
	hasBias, hasAct bool
}

// Accesses implements tensor.Op.
func (f gemmEpi) Accesses() []tensor.Access {
	acc := f.gemm.Accesses()
	if f.hasBias {
		acc = append(acc, f.bias.Accesses()...)
	}
	if f.hasAct {
		acc = append(acc, f.act.Accesses()...)
	}
	return acc
}

// epiShape is what the epilogue needs of a GEMM: its output, its operands,
// and the output's per-sample size and row width (the bias's length).
type epiShape struct {
	out, in1, in2 tensor.BufferID
	size, cols    int
}

// gemmOutput returns the shape of op, if it is a product whose output is
// laid out as batched rows of cols columns (a MatMul batched along M, a
// Conv2D).
func gemmOutput(op tensor.Op) (epiShape, bool) {
	switch o := op.(type) {
	case tensor.MatMul:
		if o.Batch != tensor.BatchM {
			return epiShape{}, false
		}
		return epiShape{out: o.C, in1: o.A, in2: o.B, size: o.M * o.N, cols: o.N}, true
	case tensor.Conv2D:
		g := o.Geom
		return epiShape{out: o.Y, in1: o.X, in2: o.W, size: g.OH * g.OW * g.F, cols: g.F}, true
	}
	return epiShape{}, false
}

// fuseEpilogue returns ops with each product followed by a BiasAdd and/or
// an elementwise Activation of its output replaced by one gemmEpi.
func fuseEpilogue(ops []tensor.Op) []tensor.Op {
	if noFusion {
		return ops
	}
	var out []tensor.Op
	for i := 0; i < len(ops); i++ {
		s, ok := gemmOutput(ops[i])
		if !ok {
			out = append(out, ops[i])
			continue
		}
		f := gemmEpi{gemm: ops[i]}
		next := i + 1
		if next < len(ops) {
			if b, ok := ops[next].(tensor.BiasAdd); ok && epiBias(s, b) {
				f.bias, f.hasBias = b, true
				next++
			}
		}
		if next < len(ops) {
			if a, ok := ops[next].(tensor.Activation); ok && epiAct(s, a, f) {
				f.act, f.hasAct = a, true
				next++
			}
		}
		if !f.hasBias && !f.hasAct {
			out = append(out, ops[i])
			continue
		}
		out = append(out, f)
		i = next - 1
	}
	return out
}

// epiBias reports whether b adds a bias in place to every row of the
// product s.
func epiBias(s epiShape, b tensor.BiasAdd) bool {
	return b.X == s.out && b.Y == s.out && b.C == s.cols && b.Outer*b.C == s.size && b.Bias != s.out
}

// epiAct reports whether a is an elementwise activation of the whole
// output of the product s (after f's bias). Its own output may be that
// output (in place) or a buffer the fused kernel reads nowhere, since the
// product reads its operands across elements while it stores.
func epiAct(s epiShape, a tensor.Activation, f gemmEpi) bool {
	if a.X != s.out || a.Fn == tensor.Softmax || !a.Fn.Valid() || a.Size != s.size {
		return false
	}
	return a.Y == s.out || !touches(a.Y, s.in1, s.in2) && !(f.hasBias && a.Y == f.bias.Bias)
}

// epilogue is a bound gemmEpi's epilogue; its zero value stores the
// product unchanged (an unfused GEMM).
type epilogue struct {
	bias, y *vk.Buffer // nil: no bias; no activation or one in place
	act     tensor.ActFn
	alpha   float32
}

// epilogueOf binds f's epilogue.
func epilogueOf(p *program, f gemmEpi) epilogue {
	var e epilogue
	if f.hasBias {
		e.bias = p.buffer(f.bias.Bias)
	}
	if f.hasAct {
		e.act, e.alpha = f.act.Fn, f.act.Alpha
		if s, _ := gemmOutput(f.gemm); f.act.Y != s.out {
			e.y = p.buffer(f.act.Y)
		}
	}
	return e
}

// on reports whether e does anything.
func (e epilogue) on() bool { return e.bias != nil || e.y != nil || e.act != tensor.Linear }

// constants appends e's specialization constants 20..23 to consts (padded
// with zeros up to 19); an unfused GEMM keeps its constants as they were.
func (e epilogue) constants(consts []uint32) []uint32 {
	if !e.on() {
		return consts
	}
	for len(consts) < 20 {
		consts = append(consts, 0)
	}
	return append(consts, b32(e.bias != nil), uint32(e.act), math.Float32bits(e.alpha), b32(e.y != nil))
}

// buffers are the epilogue's two bindings for a GEMM writing c: the bias
// and the activation's output, c itself where there is none (the kernel
// writes c anyway, and the barriers around it order every access). Not
// the shared dummy: synchronization validation counts every binding a
// dispatch declares as accessed, used or not, and other ops of the same
// barrier interval read or write the dummy.
func (e epilogue) buffers(c *vk.Buffer) []*vk.Buffer {
	bias, y := c, c
	if e.bias != nil {
		bias = e.bias
	}
	if e.y != nil {
		y = e.y
	}
	return []*vk.Buffer{bias, y}
}

// bindGemmEpi binds f: its product with the epilogue.
func bindGemmEpi(p *program, f gemmEpi) (opKernel, error) {
	e := epilogueOf(p, f)
	switch o := f.gemm.(type) {
	case tensor.MatMul:
		return bindMatMulWith(p, o, f, e)
	case tensor.Conv2D:
		return bindConv2DWith(p, o, f, e)
	}
	return nil, fmt.Errorf("gpu: no epilogue for %T", f.gemm)
}

// epiTuneKey names f's shape for the tuner: its product's and what the
// epilogue does, which the timings include.
func epiTuneKey(f gemmEpi, batch int) string {
	y := f.hasAct && f.act.Y != f.act.X
	return fmt.Sprintf("%s epilogue{bias:%v act:%v y:%v}", tuneKey(f.gemm, batch), f.hasBias, f.hasAct && f.act.Fn != tensor.Linear, y)
}

// epiScratch emits f's ops into mini on fresh buffers (the gemm's from
// scratchOp), so that the tuner times a candidate with its epilogue: the
// scratch program fuses them again.
func epiScratch(mini, plan *tensor.Plan, f gemmEpi) {
	g := scratchOp(mini, plan, f.gemm)
	mini.Emit(tensor.Train, g)
	s, _ := gemmOutput(g)
	if f.hasBias {
		b := f.bias
		b.X, b.Y = s.out, s.out
		b.Bias = mini.AddBuffer("tune_bias", tensor.ParamBuffer, false, plan.Buffers[f.bias.Bias].Shape)
		mini.Emit(tensor.Train, b)
	}
	if f.hasAct {
		a := f.act
		a.X, a.Y = s.out, s.out
		if f.act.Y != f.act.X {
			a.Y = mini.AddBuffer("tune_act", tensor.ActivationBuffer, true, plan.Buffers[f.act.Y].Shape)
		}
		mini.Emit(tensor.Train, a)
	}
}
