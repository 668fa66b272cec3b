package nn

import (
	"fmt"

	"github.com/anvil-ml/anvil/tensor"
)

// emitter is what a layer sees while it emits ops: the plan, the routine
// being built, and a cache that lets the three routines share buffers (a
// node's activations are the same buffers in Train, Eval and Predict).
type emitter struct {
	plan     *tensor.Plan
	routine  tensor.Routine
	training bool
	cache    map[string]tensor.BufferID
	nodeKey  string // prefix naming the current node's buffers
	nodeSalt uint32 // distinguishes the current node's random streams
	// gradDone marks the variables whose gradient buffer a backward op has
	// written; a shared layer's later calls write scratch buffers that
	// accumulate, the adds waiting in gradAdds until flushGrads.
	gradDone map[*Variable]bool
	gradAdds []tensor.Op
}

func newEmitter(batch int) *emitter {
	return &emitter{plan: tensor.NewPlan(batch), cache: map[string]tensor.BufferID{}, gradDone: map[*Variable]bool{}}
}

// buffer returns the buffer called key, creating it on first use.
func (e *emitter) buffer(key string, kind tensor.BufferKind, batched bool, shape tensor.Shape) tensor.BufferID {
	if id, ok := e.cache[key]; ok {
		return id
	}
	id := e.plan.AddBuffer(key, kind, batched, shape)
	e.cache[key] = id
	return id
}

// act returns a batched activation buffer of the current node.
func (e *emitter) act(name string, shape tensor.Shape) tensor.BufferID {
	return e.buffer(e.nodeKey+"/"+name, tensor.ActivationBuffer, true, shape)
}

// grad returns a batched gradient buffer of the current node.
func (e *emitter) grad(name string, shape tensor.Shape) tensor.BufferID {
	return e.buffer(e.nodeKey+"/"+name, tensor.GradientBuffer, true, shape)
}

// state returns a per-node, non-batched buffer that lives across a step,
// such as batch-norm's saved statistics.
func (e *emitter) state(name string, n int) tensor.BufferID {
	return e.buffer(e.nodeKey+"/"+name, tensor.StateBuffer, false, tensor.Shape{n})
}

// param returns the buffer holding a variable's value.
func (e *emitter) param(v *Variable) tensor.BufferID {
	kind := tensor.StateBuffer
	if v.Trainable {
		kind = tensor.ParamBuffer
	}
	return e.buffer("var:"+v.Name, kind, false, v.Shape)
}

// gradOf returns the buffer holding a variable's gradient.
func (e *emitter) gradOf(v *Variable) tensor.BufferID {
	return e.buffer("grad:"+v.Name, tensor.GradientBuffer, false, v.Shape)
}

// varGrad returns the buffer a layer's backward op overwrites with its
// call's gradient of v. The first call (the last in forward order) writes
// gradOf(v) itself, so a layer used once costs nothing extra; a shared
// layer's later calls write a scratch buffer of the current node, which
// flushGrads adds into gradOf(v) once the layer's ops are emitted.
func (e *emitter) varGrad(v *Variable) tensor.BufferID {
	g := e.gradOf(v)
	if !e.gradDone[v] {
		e.gradDone[v] = true
		return g
	}
	part := e.buffer(e.nodeKey+"/grad:"+v.Name, tensor.GradientBuffer, false, v.Shape)
	e.gradAdds = append(e.gradAdds, tensor.Add{A: g, B: part, Y: g, Size: v.Shape.Size(), Unbatched: true})
	return part
}

// flushGrads emits the adds that accumulate the scratch gradients varGrad
// handed out since the last flush.
func (e *emitter) flushGrads() {
	for _, op := range e.gradAdds {
		e.emit(op)
	}
	e.gradAdds = e.gradAdds[:0]
}

// slot returns an optimizer state buffer of a variable, of the given
// shape (most slots have the variable's).
func (e *emitter) slot(v *Variable, name string, shape tensor.Shape) tensor.BufferID {
	return e.buffer(fmt.Sprintf("slot:%s/%s", v.Name, name), tensor.StateBuffer, false, shape)
}

// emit appends an op to the routine being built.
func (e *emitter) emit(op tensor.Op) { e.plan.Emit(e.routine, op) }

// sum adds gradient contributions into one buffer, reusing the first
// when there is only one.
func (e *emitter) sum(parts []tensor.BufferID, shape tensor.Shape, name string) tensor.BufferID {
	if len(parts) == 1 {
		return parts[0]
	}
	out := e.grad(name, shape)
	e.emit(tensor.Add{A: parts[0], B: parts[1], Y: out, Size: shape.Size()})
	for _, p := range parts[2:] {
		e.emit(tensor.Add{A: out, B: p, Y: out, Size: shape.Size()})
	}
	return out
}
