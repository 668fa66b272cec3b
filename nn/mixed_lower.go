package nn

import (
	"fmt"

	"github.com/anvil-ml/anvil/tensor"
)

// lowerMixed rewrites the lowered plan for mixed precision (see mixed.go).
// It works on the finished op lists rather than inside each layer, so
// every layer that lowers to MatMul or the convolutions gets it: each
// product's operands are first cast to float16, and the Train routine gets
// loss scaling around the loss and the optimizer updates.
func (m *Model) lowerMixed(e *emitter, low *lowered) {
	mp := m.compiled.mixed
	ls := lossScaleBufs{
		scale: e.buffer("loss_scale", tensor.StateBuffer, false, tensor.Shape{tensor.LossScaleSize}),
		found: e.buffer("loss_scale/found", tensor.StateBuffer, false, tensor.Shape{1}),
		share: tensor.NoBuffer,
	}
	low.lossScale = ls
	keep := m.float32Buffers(e.plan, low)
	for _, r := range []tensor.Routine{tensor.Train, tensor.Eval, tensor.Predict} {
		ops := e.plan.Routines[r]
		apply := len(ops)
		if r == tensor.Train {
			apply = low.applyStart
		}
		out := castProducts(e, ops[:apply], r == tensor.Train, ls, keep)
		if r == tensor.Train {
			low.applyStart = len(out)
			out = append(out, m.scaledUpdates(e, low, ops[apply:], ls, mp.growthSteps)...)
		}
		e.plan.Routines[r] = out
	}
}

// castProducts returns ops with a Cast before each product operand (reused
// while its source is not written again), except for products that touch
// a buffer of keep (a layer kept in float32), and, with scaleLoss, the loss
// gradient multiplied by the loss scale right after the loss.
func castProducts(e *emitter, ops []tensor.Op, scaleLoss bool, ls lossScaleBufs, keep map[tensor.BufferID]bool) []tensor.Op {
	c := &caster{e: e, live: map[tensor.BufferID]tensor.BufferID{}}
	for _, op := range ops {
		if !touches(op, keep) {
			op = c.castOperands(op)
		}
		if r, ok := op.(tensor.Regularize); ok && scaleLoss && r.Grad != tensor.NoBuffer {
			c.regularize(r, ls)
			continue
		}
		c.out = append(c.out, op)
		c.wrote(op)
		if l, ok := op.(tensor.Loss); ok && scaleLoss && l.Grad != tensor.NoBuffer {
			c.out = append(c.out, tensor.ApplyLossScale{X: l.Grad, LossScale: ls.scale, Size: l.Size, Batched: true})
		}
	}
	return c.out
}

// castOperands returns a product op reading its operands through casts;
// other ops as they are.
func (c *caster) castOperands(op tensor.Op) tensor.Op {
	switch o := op.(type) {
	case tensor.MatMul:
		o.A, o.B = c.cast(o.A), c.cast(o.B)
		return o
	case tensor.Conv2D:
		o.X, o.W = c.cast(o.X), c.cast(o.W)
		return o
	case tensor.Conv2DBackwardData:
		o.DY, o.W = c.cast(o.DY), c.cast(o.W)
		return o
	case tensor.Conv2DBackwardFilter:
		o.X, o.DY = c.cast(o.X), c.cast(o.DY)
		return o
	}
	return op
}

// touches reports whether op accesses any buffer of set.
func touches(op tensor.Op, set map[tensor.BufferID]bool) bool {
	if len(set) == 0 {
		return false
	}
	for _, a := range op.Accesses() {
		if set[a.Buf] {
			return true
		}
	}
	return false
}

// regularize adds a penalty's gradient, which is not scaled, to a scaled
// gradient: unscale, add, scale again. Both are exact (the scale is a power
// of two), and a gradient that is not finite already sets the flag the
// update's UnscaleGrad would.
func (c *caster) regularize(r tensor.Regularize, ls lossScaleBufs) {
	c.out = append(c.out, tensor.UnscaleGrad{Grad: r.Grad, LossScale: ls.scale, Found: ls.found, Size: r.Size}, r,
		tensor.ApplyLossScale{X: r.Grad, LossScale: ls.scale, Size: r.Size})
	c.wrote(r)
}

// caster emits the casts of one routine.
type caster struct {
	e    *emitter
	out  []tensor.Op
	live map[tensor.BufferID]tensor.BufferID // source → its cast, while valid
}

// cast returns a Float16 buffer holding src rounded to binary16, emitting
// the Cast unless one since src's last write is still valid.
func (c *caster) cast(src tensor.BufferID) tensor.BufferID {
	if id, ok := c.live[src]; ok {
		return id
	}
	b := c.e.plan.Buffers[src]
	kind := tensor.ActivationBuffer
	if b.Kind == tensor.GradientBuffer {
		kind = tensor.GradientBuffer
	}
	id := c.e.buffer("f16:"+b.Name, kind, b.Batched, b.Shape)
	c.e.plan.Buffers[id].DType = tensor.Float16
	c.out = append(c.out, tensor.Cast{X: src, Y: id, Size: b.Shape.Size(), Batched: b.Batched})
	c.live[src] = id
	return id
}

// wrote forgets the casts of every buffer op writes.
func (c *caster) wrote(op tensor.Op) {
	for _, a := range op.Accesses() {
		if a.Write {
			delete(c.live, a.Buf)
		}
	}
}

// scaledUpdates wraps the optimizer updates in loss scaling: unscale every
// gradient (noting any that is not finite), back up what each update
// writes, update, restore the backup when a gradient was not finite, and
// adjust the scale. The backups are shared by the updates in turn, sized
// for the largest.
func (m *Model) scaledUpdates(e *emitter, low *lowered, updates []tensor.Op, ls lossScaleBufs, growth int) []tensor.Op {
	var out []tensor.Op
	for _, v := range m.Variables() {
		if g, ok := low.grads[v]; ok {
			out = append(out, tensor.UnscaleGrad{Grad: g, LossScale: ls.scale, Found: ls.found, Size: v.Shape.Size()})
		}
	}
	largest := 0
	for _, op := range updates {
		for _, a := range writtenBuffers(e.plan, op) {
			largest = max(largest, a.Elems)
		}
	}
	var backups []tensor.BufferID
	for _, op := range updates {
		written := writtenBuffers(e.plan, op)
		for len(backups) < len(written) {
			name := fmt.Sprintf("loss_scale/backup:%d", len(backups))
			backups = append(backups, e.buffer(name, tensor.ActivationBuffer, false, tensor.Shape{largest}))
		}
		for i, a := range written {
			out = append(out, tensor.CopyBuffer{X: a.Buf, Y: backups[i], Size: a.Elems})
		}
		out = append(out, op)
		for i, a := range written {
			out = append(out, tensor.RevertIfFound{Backup: backups[i], Y: a.Buf, Found: ls.found, Size: a.Elems})
		}
	}
	return append(out, tensor.UpdateLossScale{LossScale: ls.scale, Found: ls.found, GrowthSteps: growth})
}

// writtenBuffers lists the persistent buffers (weights, optimizer state)
// op writes, each once: what a skipped step must leave as it was. Ops
// after the gradient half that write only transient buffers (gradient
// clipping) need no backup.
func writtenBuffers(plan *tensor.Plan, op tensor.Op) []tensor.Access {
	var out []tensor.Access
	seen := map[tensor.BufferID]bool{}
	for _, a := range op.Accesses() {
		if a.Buf == tensor.NoBuffer {
			continue
		}
		if k := plan.Buffers[a.Buf].Kind; k != tensor.ParamBuffer && k != tensor.StateBuffer {
			continue
		}
		if a.Write && !seen[a.Buf] {
			seen[a.Buf] = true
			out = append(out, a)
		}
	}
	return out
}
