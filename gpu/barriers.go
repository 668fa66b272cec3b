package gpu

import "github.com/anvil-ml/anvil/tensor"

// A recorded step places a memory barrier before an op only when the op
// depends on work recorded since the last barrier:
//
//   - it reads or writes a buffer that an earlier op wrote (read after
//     write, write after write), or
//   - it writes a buffer that an earlier op read (write after read).
//
// Ops that only read the same buffers, or touch disjoint ones, run between
// the same pair of barriers and may overlap on the device. An op of several
// dispatches orders its own dispatches (opKernel.record); the tracking here
// treats it as one unit. Buffers a kernel keeps to itself (partial sums,
// dummies for absent outputs) are never shared between ops, so they need
// no tracking: the barrier that starts every recording orders them between
// replays.

// hazards is the set of plan buffers read and written since the last
// barrier.
type hazards struct {
	read, written map[tensor.BufferID]bool
}

func newHazards() *hazards {
	return &hazards{read: map[tensor.BufferID]bool{}, written: map[tensor.BufferID]bool{}}
}

// conflicts reports whether an op with these accesses must wait for the
// ops recorded since the last barrier.
func (h *hazards) conflicts(acc []tensor.Access) bool {
	for _, a := range acc {
		if a.Buf == tensor.NoBuffer {
			continue
		}
		if h.written[a.Buf] || a.Write && h.read[a.Buf] {
			return true
		}
	}
	return false
}

// add records an op's accesses.
func (h *hazards) add(acc []tensor.Access) {
	for _, a := range acc {
		if a.Buf == tensor.NoBuffer {
			continue
		}
		if a.Write {
			h.written[a.Buf] = true
		} else {
			h.read[a.Buf] = true
		}
	}
}

// reset forgets everything: a barrier was just placed.
func (h *hazards) reset() {
	clear(h.read)
	clear(h.written)
}

// barrierPlan says, for each op of a routine, whether a barrier must be
// recorded before it.
func barrierPlan(ops []tensor.Op) []bool {
	h := newHazards()
	plan := make([]bool, len(ops))
	for i, op := range ops {
		acc := op.Accesses()
		if h.conflicts(acc) {
			plan[i] = true
			h.reset()
		}
		h.add(acc)
	}
	return plan
}
