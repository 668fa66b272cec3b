package gpu

import (
	"fmt"
	"math"

	"github.com/anvil-ml/anvil/gpu/internal/vk"
	"github.com/anvil-ml/anvil/tensor"
)

// A training step ends with one optimizer update per parameter: the
// reference CNN has 22, each a dispatch of a few thousand elements or
// fewer, whose cost on a discrete GPU is mostly the dispatch itself. So
// compileProgram groups each run of consecutive updates of one type and
// one set of hyperparameters over distinct buffers (nn lowers them so)
// into an updateGroup, recorded as one dispatch of a *_bda shader where
// the device has buffer addresses (kernel_optim_bda.go), else as one
// dispatch of a *_multi shader per multiTensors of them (Nadam, which has
// no *_multi shader, one per update, as ungrouped). Each element is
// updated by the same float32 operations as the one-tensor shader
// (shaders/optim.glsl), so grouping changes no result bit; the CPU
// reference is the per-update op of cpuref/optim.go.

// multiTensors is how many tensors one dispatch of a *_multi shader
// updates: MULTI_TENSORS in shaders/multi.glsl. Seven tensors of four
// buffers and the step arguments take 29 bindings, within the 32 storage
// buffers per stage that lavapipe allows (most GPUs allow thousands).
const multiTensors = 7

// noFusion turns groupUpdates, fuseBNActivation and fuseEpilogue off, so that tests can
// compare fused kernels with the unfused ones bit for bit.
var noFusion = false

// updateGroup is an internal op: updates that compileProgram records as
// one kernel. It is never part of a tensor.Plan.
type updateGroup struct {
	ops []tensor.Op
}

// Accesses implements tensor.Op: the barrier plan sees the group as one
// op touching every member's buffers.
func (g updateGroup) Accesses() []tensor.Access {
	var acc []tensor.Access
	for _, op := range g.ops {
		acc = append(acc, op.Accesses()...)
	}
	return acc
}

// updateKey is op's type and hyperparameters, its buffers and size
// cleared, so that two updates may share a dispatch when their keys are
// equal; ok is false for an op that is not an optimizer update.
func updateKey(op tensor.Op) (key tensor.Op, ok bool) {
	switch o := op.(type) {
	case tensor.SGDUpdate:
		o.Param, o.Grad, o.Velocity, o.Size = 0, 0, 0, 0
		return o, true
	case tensor.AdamUpdate:
		o.Param, o.Grad, o.M, o.V, o.Size = 0, 0, 0, 0, 0
		return o, true
	case tensor.RMSpropUpdate:
		o.Param, o.Grad, o.MeanSquare, o.Velocity, o.Size = 0, 0, 0, 0, 0
		return o, true
	case tensor.NadamUpdate:
		o.Param, o.Grad, o.M, o.V, o.Product, o.Size = 0, 0, 0, 0, 0, 0
		return o, true
	}
	return nil, false
}

// groupUpdates returns ops with each run of two or more groupable updates
// replaced by one updateGroup. An update joins the run before it when it
// has the run's key, shares no hazard with the run's updates (it touches
// none of the buffers they write and writes none they read, so the order
// of their elements' updates is free), and keeps
// the run's element count within a uint32. Without enough bindings for a
// *_multi shader (maxBindings), it returns ops unchanged.
func groupUpdates(ops []tensor.Op, maxBindings int) []tensor.Op {
	if noFusion || maxBindings < 1+4*multiTensors {
		return ops
	}
	var out []tensor.Op
	for i := 0; i < len(ops); {
		key, ok := updateKey(ops[i])
		if !ok {
			out = append(out, ops[i])
			i++
			continue
		}
		h := newHazards()
		h.add(ops[i].Accesses())
		total := updateSize(ops[i])
		j := i + 1
		for ; j < len(ops); j++ {
			k, ok := updateKey(ops[j])
			acc := ops[j].Accesses()
			total += updateSize(ops[j])
			if !ok || k != key || h.conflicts(acc) || uint64(total) > math.MaxUint32 {
				break
			}
			h.add(acc)
		}
		if j-i == 1 {
			out = append(out, ops[i])
		} else {
			out = append(out, updateGroup{ops: append([]tensor.Op{}, ops[i:j]...)})
		}
		i = j
	}
	return out
}

// updateSize is the element count of an optimizer update.
func updateSize(op tensor.Op) int {
	switch o := op.(type) {
	case tensor.SGDUpdate:
		return o.Size
	case tensor.AdamUpdate:
		return o.Size
	case tensor.RMSpropUpdate:
		return o.Size
	case tensor.NadamUpdate:
		return o.Size
	}
	return 0
}

// bindUpdateGroup binds a group: one dispatch of a *_bda shader where the
// device has buffer addresses (kernel_optim_bda.go), else a dispatch per
// multiTensors updates, with no barrier between them, as they touch
// disjoint buffers. Unused tensors
// of the last dispatch get a dummy buffer and an empty range. A family
// without a *_multi shader (noMulti) takes a dispatch of its one-tensor
// shader per update instead, again with no barrier between them.
func bindUpdateGroup(p *program, g updateGroup) (opKernel, error) {
	var us []update
	for i, op := range g.ops {
		u, ok, err := bindUpdate(p, op)
		if !ok {
			err = errNotUpdate(op)
		}
		if err != nil {
			return nil, fmt.Errorf("update %d of a group of %d: %w", i, len(g.ops), err)
		}
		us = append(us, u)
	}
	k := &launches{}
	if p.addressGroups() {
		l, err := p.addressLaunch(us)
		if err != nil {
			return nil, err
		}
		k.list = append(k.list, l)
		return k, nil
	}
	if us[0].noMulti {
		for _, u := range us {
			l, err := p.oneLaunch(u)
			if err != nil {
				return nil, err
			}
			k.list = append(k.list, l)
		}
		return k, nil
	}
	for lo := 0; lo < len(us); lo += multiTensors {
		l, err := p.multiLaunch(us[lo:min(lo+multiTensors, len(us))])
		if err != nil {
			return nil, err
		}
		k.list = append(k.list, l)
	}
	return k, nil
}

// multiLaunch is one dispatch of the *_multi shader over up to
// multiTensors updates: the push constants are the prefix offsets of the
// tensors in the concatenation, then the (shared) hyperparameters.
func (p *program) multiLaunch(us []update) (launch, error) {
	per := len(us[0].bufs)
	push := vk.Push{}
	var bufs []*vk.Buffer
	total := 0
	// Unused tensors bind a dummy of this dispatch's own: the shader never
	// touches it, but it is bound writable, so a dummy shared with other
	// dispatches would look like a hazard between them.
	var dummy *vk.Buffer
	if len(us) < multiTensors {
		var err error
		if dummy, err = p.private(1); err != nil {
			return launch{}, err
		}
	}
	for t := 0; t < multiTensors; t++ {
		push = push.Uint32(u32(total))
		if t < len(us) {
			bufs = append(bufs, us[t].bufs...)
			total += us[t].size
			continue
		}
		for range per {
			bufs = append(bufs, dummy)
		}
	}
	push = append(push.Uint32(u32(total)), us[0].hyper...)
	return p.launch(us[0].shader+"_multi", elemWG, push, p.groups(total, elemWG), bufs...)
}
