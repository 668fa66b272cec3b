package gpu

import (
	"encoding/binary"
	"fmt"
	"math"

	"github.com/anvil-ml/anvil/tensor"
)

// The tuner never accepts a candidate it has not seen compute the right
// answer: a fast but wrong kernel (a tile with a bug that only a device's
// driver exposes, the tensor-core tile above all, which CI's lavapipe
// cannot run) would otherwise be a silent wrong result. Before timing,
// every candidate's scratch program gets the same inputs, small integers;
// after, each output is compared with the reference candidate's (the
// first that is not a coop tile: the heuristic's choice, which the
// parity tests cover on every device), and a candidate that differs is
// rejected with a warning.
//
// Why small integers: with operands in {-2, ..., 2} every product is an
// integer of magnitude at most 4, exact in binary16 and float32, and so is
// every partial sum while 4·kMax ≤ 2^24; whatever the order of the sums,
// split-K slices included, and whatever the rounding of the tensor cores'
// float32 accumulation, every correct kernel then computes exactly the
// same sums. A wrong index, a missed or repeated slice, a bad stride
// changes sums by whole units. The fused epilogue (bias, also integer, and
// the activation) is then applied to identical values, but by different
// shaders (the GEMM's or matmul_reduce's), whose compilers may contract
// or order the activation's float32 arithmetic differently: hence
// verifyTol, a few ulp, not exact equality.

// verifyTol is the relative difference (to max(|reference|, 1)) a
// candidate's output may have from the reference: 8 ulp of float32, for
// the activation's rounding (a whole-unit error of a sum up to 2^17 is
// 64 times larger).
const verifyTol = 1.0 / (1 << 20)

// exactLimit is the largest magnitude up to which float32 holds every
// integer.
const exactLimit = 1 << 24

// exactValue is input element i of buffer slot s: an integer in
// [-span, span], spread by a multiplicative hash so that rows and columns
// differ.
func exactValue(s, i, span int) float32 {
	h := uint32(i)*2654435761 + uint32(s)*40503 + 12345
	h ^= h >> 15
	return float32(int(h%uint32(2*span+1)) - span)
}

// fillExact writes the same integer inputs to every run's scratch
// program, sized so that sums of kMax products stay exact. It returns
// false, with a warning, when that is impossible (kMax past 2^24) or a
// write failed: then no coop candidate may win (verifyRuns), and the
// others, which the parity tests cover on every device, go unverified.
func fillExact(runs []*tuneRun, kMax int) bool {
	span := 2
	if 4*kMax > exactLimit {
		span = 1
	}
	if span*span*kMax > exactLimit {
		tuneWarn("tuning: sums of %d products are not exact in float32; candidates are not verified", kMax)
		return false
	}
	for _, r := range runs {
		if err := writeExact(r.prog, span); err != nil {
			tuneWarn("tuning: writing the verification inputs of candidate %v: %v", r.choice, err)
			return false
		}
	}
	return true
}

// writeExact writes integer inputs to every buffer of p that its ops read
// and do not write: float32 through Write, binary16 as raw bits.
func writeExact(p *program, span int) error {
	inputs, _ := scratchIO(p.plan)
	for s, id := range inputs {
		n := p.plan.Elems(id)
		if p.plan.Buffers[id].DType != tensor.Float16 {
			data := make([]float32, n)
			for i := range data {
				data[i] = exactValue(s, i, span)
			}
			if err := p.Write(id, data); err != nil {
				return err
			}
			continue
		}
		raw := make([]byte, 2*n)
		for i := range n {
			binary.LittleEndian.PutUint16(raw[2*i:], tensor.Float16Bits(exactValue(s, i, span)))
		}
		if err := p.settle(); err != nil {
			return err
		}
		if err := p.bufs[id].Write(0, raw); err != nil {
			return p.transferFailed("writing", id, err)
		}
	}
	return nil
}

// scratchIO lists the buffers a scratch plan's ops read but never write
// (its inputs) and those they write (its outputs), each in the order the
// ops first touch them.
func scratchIO(plan *tensor.Plan) (inputs, outputs []tensor.BufferID) {
	written := map[tensor.BufferID]bool{}
	seen := map[tensor.BufferID]bool{}
	for _, op := range plan.Routines[tensor.Train] {
		for _, a := range op.Accesses() {
			if a.Write {
				written[a.Buf] = true
			}
		}
	}
	for _, op := range plan.Routines[tensor.Train] {
		for _, a := range op.Accesses() {
			if seen[a.Buf] {
				continue
			}
			seen[a.Buf] = true
			if written[a.Buf] {
				outputs = append(outputs, a.Buf)
			} else {
				inputs = append(inputs, a.Buf)
			}
		}
	}
	return inputs, outputs
}

// verifyRuns compares every run's outputs with the reference run's (the
// first that is not a coop tile) and marks those that differ as failed,
// with a warning saying where. Without inputs for it (exact false) or a
// reference, coop runs fail and the others pass.
func verifyRuns(op tensor.Op, runs []*tuneRun, exact bool) {
	var ref *tuneRun
	for _, r := range runs {
		if exact && !r.failed && !r.choice.Tile.Coop {
			ref = r
			break
		}
	}
	var want [][]float32
	if ref != nil {
		var err error
		if want, err = readOutputs(ref.prog); err != nil {
			tuneWarn("tuning %T: reading the reference candidate %v: %v", op, ref.choice, err)
			ref = nil
		}
	}
	for _, r := range runs {
		if r == ref || r.failed {
			continue
		}
		if ref == nil {
			if r.choice.Tile.Coop {
				tuneWarn("tuning %T: candidate %v rejected: there is no verified result to compare it with", op, r.choice)
				r.failed = true
			}
			continue
		}
		if err := sameOutputs(r.prog, want); err != nil {
			tuneWarn("tuning %T: candidate %v rejected: its result differs from %v's: %v", op, r.choice, ref.choice, err)
			r.failed = true
		}
	}
}

// readOutputs reads every output buffer of p's scratch plan.
func readOutputs(p *program) ([][]float32, error) {
	_, outs := scratchIO(p.plan)
	var all [][]float32
	for _, id := range outs {
		v := make([]float32, p.plan.Elems(id))
		if err := p.Read(id, v); err != nil {
			return nil, err
		}
		all = append(all, v)
	}
	return all, nil
}

// sameOutputs reports the first output element of p that differs from
// want by more than verifyTol.
func sameOutputs(p *program, want [][]float32) error {
	got, err := readOutputs(p)
	if err != nil {
		return err
	}
	_, outs := scratchIO(p.plan)
	for i := range want {
		for j, w := range want[i] {
			g := got[i][j]
			if math.IsNaN(float64(g)) && math.IsNaN(float64(w)) {
				continue
			}
			if d := math.Abs(float64(g - w)); !(d <= verifyTol*math.Max(math.Abs(float64(w)), 1)) {
				return fmt.Errorf("%s[%d] = %v, want %v", p.plan.Buffers[outs[i]].Name, j, g, w)
			}
		}
	}
	return nil
}
