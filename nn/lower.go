package nn

import (
	"fmt"
	"hash/fnv"

	"github.com/anvil-ml/anvil/tensor"
)

// lowered is a model compiled to a Plan, with the buffers the host uses.
type lowered struct {
	plan       *tensor.Plan
	inputs     []tensor.BufferID
	output     tensor.BufferID
	target     tensor.BufferID // NoBuffer when the model is not compiled
	lossSum    tensor.BufferID
	metricSums []tensor.BufferID
	vars       map[*Variable]tensor.BufferID
	grads      map[*Variable]tensor.BufferID // in the Train routine
	slots      map[*Variable][]tensor.BufferID
	// sets holds the resident data buffers each routine gathers its
	// batches from (indexed trainSet, evalSet, predictSet); table is the
	// byte scale that byte samples go through.
	sets  [numSets]dataBufs
	table tensor.BufferID
	// applyStart is the index of Train's first optimizer update: Train[:k]
	// is the gradient half of a data-parallel step, Train[k:] the update.
	applyStart int
	// lossScale holds the loss-scaling buffers under mixed precision.
	lossScale lossScaleBufs
}

// graphPass holds one routine's forward results.
type graphPass struct {
	out map[*node]tensor.BufferID // after the activation
	pre map[*node]tensor.BufferID // before it
}

// lower turns the model into a Plan for steps of up to batch samples, with
// data buffers for the sets specs describe.
func (m *Model) lower(batch int, specs dataSpecs) *lowered {
	e := newEmitter(batch)
	low := &lowered{target: tensor.NoBuffer, lossSum: tensor.NoBuffer, lossScale: lossScaleBufs{tensor.NoBuffer, tensor.NoBuffer, tensor.NoBuffer},
		vars: map[*Variable]tensor.BufferID{}, grads: map[*Variable]tensor.BufferID{}, slots: map[*Variable][]tensor.BufferID{}}
	for _, in := range m.inputs {
		low.inputs = append(low.inputs, e.buffer("input:"+in.node.layer.name, tensor.InputBuffer, true, in.shape))
	}
	for _, v := range m.Variables() {
		low.vars[v] = e.param(v)
	}
	low.table = e.plan.AddDataBuffer("data:byte_scale", tensor.Float32, tensor.Shape{256})
	c := m.compiled
	if c != nil {
		low.sets[trainSet] = m.lowerData(e, "train", specs[trainSet], true)
	}
	low.sets[evalSet] = m.lowerData(e, "eval", specs[evalSet], c != nil)
	low.sets[predictSet] = m.lowerData(e, "predict", specs[predictSet], false)
	outNode := m.output.node
	fuse := tensor.LossKind(-1)
	if c != nil {
		if k, ok := c.loss.fused(outNode.layer.act); ok {
			fuse = k
		}
		m.lowerTrain(e, low, fuse)
		e.routine, e.training = tensor.Eval, false
		m.emitGatherInputs(e, low, low.sets[evalSet])
		pass := m.forward(e, low, fuse >= 0)
		m.lowerLoss(e, low, pass, fuse, false)
		m.emitRegularization(e, low)
	}
	e.routine, e.training = tensor.Predict, false
	m.emitGatherInputs(e, low, low.sets[predictSet])
	pass := m.forward(e, low, false)
	low.output = pass.out[outNode]
	m.emitCollectOutput(e, low, low.output)
	if c != nil && c.mixed != nil {
		m.lowerMixed(e, low)
	}
	low.plan = e.plan
	return low
}

func (m *Model) lowerTrain(e *emitter, low *lowered, fuse tensor.LossKind) {
	e.routine, e.training = tensor.Train, true
	m.emitGatherInputs(e, low, low.sets[trainSet])
	pass := m.forward(e, low, fuse >= 0)
	dOut := m.lowerLoss(e, low, pass, fuse, true)
	m.backward(e, pass, dOut, fuse >= 0)
	// The penalties join each replica's gradient half: a replica adds
	// rows·P to its loss sum and the penalty's gradient to its gradient
	// before the all-reduce weighs it by its share of the rows (the shares
	// sum to one). Clipping acts on the reduced gradient, as Keras's does.
	m.emitRegularization(e, low)
	low.applyStart = len(e.plan.Routines[tensor.Train])
	c := m.compiled
	e.emitClipping(c.opt.clipping(), m.trainableVariables())
	for _, v := range m.Variables() {
		if !v.Trainable {
			continue
		}
		var slots []tensor.BufferID
		for _, s := range c.opt.slots() {
			slots = append(slots, e.slot(v, s, slotShape(c.opt, s, v.Shape)))
		}
		low.slots[v] = slots
		low.grads[v] = e.gradOf(v)
		e.emit(c.opt.update(e.param(v), e.gradOf(v), slots, v.Shape.Size()))
	}
}

// forward emits every node's ops for the current routine. With fuseOut the
// output node's activation is left to the fused loss op.
func (m *Model) forward(e *emitter, low *lowered, fuseOut bool) graphPass {
	p := graphPass{out: map[*node]tensor.BufferID{}, pre: map[*node]tensor.BufferID{}}
	inputIdx := map[*node]int{}
	for i, in := range m.inputs {
		inputIdx[in.node] = i
	}
	outShapes := m.outputsByNode()
	for i, n := range m.nodes {
		if n.inputs == nil {
			p.out[n] = low.inputs[inputIdx[n]]
			continue
		}
		m.enterNode(e, n, i)
		ins := make([]tensor.BufferID, len(n.inputs))
		for j, s := range n.inputs {
			ins[j] = p.out[s.node]
		}
		pre := n.layer.impl.forward(e, ins)
		p.pre[n] = pre
		p.out[n] = pre
		if n.layer.act == tensor.Linear {
			continue
		}
		shape := outShapes[n].shape
		out := e.act("out", shape)
		p.out[n] = out
		if fuseOut && n == m.output.node {
			continue // the fused loss writes the probabilities here
		}
		e.emit(tensor.Activation{Fn: n.layer.act, X: pre, Y: out, Size: shape.Size(),
			Width: shape[len(shape)-1], Alpha: n.layer.alpha})
	}
	return p
}

// enterNode names the buffers and random streams of the i-th node.
func (m *Model) enterNode(e *emitter, n *node, i int) {
	e.nodeKey = n.layer.name
	if n.layer.calls > 1 {
		e.nodeKey = fmt.Sprintf("%s#%d", n.layer.name, i) // a shared layer's calls need their own buffers
	}
	e.nodeSalt = nodeSalt(n, i)
}

// nodeSalt keys the random streams of the i-th node: its layer's name and
// its position, so each call of a shared layer draws its own.
func nodeSalt(n *node, i int) uint32 {
	h := fnv.New32a()
	h.Write([]byte(n.layer.name))
	return h.Sum32() + uint32(i)
}

// lowerLoss emits the loss and metrics and returns the gradient of the loss
// with respect to the output (to its logits when fused).
func (m *Model) lowerLoss(e *emitter, low *lowered, p graphPass, fuse tensor.LossKind, withGrad bool) tensor.BufferID {
	c := m.compiled
	n := m.output.node
	shape := m.output.shape
	size, width := shape.Size(), shape[len(shape)-1]
	kind, pred, probs := c.loss.kind, p.out[n], tensor.NoBuffer
	e.nodeKey = "loss"
	switch {
	case fuse >= 0:
		kind, pred, probs = fuse, p.pre[n], p.out[n]
	case c.loss.fromLogits:
		kind, _ = c.loss.logitsKind()
		probs = e.act("probs", shape)
	}
	metricIn := p.out[n]
	if probs != tensor.NoBuffer {
		metricIn = probs
	}
	low.target = e.buffer("target", tensor.InputBuffer, true, tensor.Shape{kind.TargetSize(size, width)})
	set := low.sets[evalSet]
	if e.routine == tensor.Train {
		set = low.sets[trainSet]
	}
	m.emitGatherTargets(e, set, low.target)
	low.lossSum = e.buffer("loss_sum", tensor.AccumulatorBuffer, false, tensor.Shape{1})
	grad := tensor.NoBuffer
	if withGrad {
		grad = e.grad("dpred", shape)
	}
	e.emit(weighLoss(e, set, tensor.Loss{Kind: kind, Pred: pred, Target: low.target, Probs: probs, Grad: grad,
		LossSum: low.lossSum, Size: size, Width: width, Smoothing: c.loss.smoothing, Delta: c.loss.delta}))
	low.metricSums = low.metricSums[:0]
	for i, ms := range c.metrics {
		sum := e.buffer(fmt.Sprintf("metric_sum:%d", i), tensor.AccumulatorBuffer, false, tensor.Shape{ms.stateSize()})
		low.metricSums = append(low.metricSums, sum)
		if ms.counts != nil {
			e.emit(ms.countOp(metricIn, low.target, sum, size, width))
			continue
		}
		e.emit(tensor.Metric{Kind: ms.kind, Pred: metricIn, Target: low.target, Sum: sum, Size: size, Width: width, K: ms.k})
	}
	return grad
}

// backward emits the gradient ops in reverse order. A value used by
// several layers gets the sum of their gradients.
func (m *Model) backward(e *emitter, p graphPass, dOut tensor.BufferID, fusedOut bool) {
	needs := m.needsGrad()
	outs := m.outputsByNode()
	contrib := map[*node][]tensor.BufferID{m.output.node: {dOut}}
	for i := len(m.nodes) - 1; i >= 0; i-- {
		n := m.nodes[i]
		if n.inputs == nil || !needs[n] || len(contrib[n]) == 0 {
			continue
		}
		m.enterNode(e, n, i)
		shape := outs[n].shape
		d := e.sum(contrib[n], shape, "dsum")
		if n.layer.act != tensor.Linear && !(fusedOut && n == m.output.node) {
			dpre := e.grad("dpre", shape)
			e.emit(tensor.ActivationBackward{Fn: n.layer.act, X: p.pre[n], Y: p.out[n], DY: d, DX: dpre,
				Size: shape.Size(), Width: shape[len(shape)-1], Alpha: n.layer.alpha})
			d = dpre
		}
		need := make([]bool, len(n.inputs))
		ins := make([]tensor.BufferID, len(n.inputs))
		for j, s := range n.inputs {
			need[j], ins[j] = needs[s.node], p.out[s.node]
		}
		dIns := n.layer.impl.backward(e, ins, p.pre[n], d, need)
		e.flushGrads() // a shared layer's calls add up their weight gradients
		for j, s := range n.inputs {
			if need[j] {
				contrib[s.node] = append(contrib[s.node], dIns[j])
			}
		}
	}
}

// needsGrad marks the nodes whose output gradient is worth computing: those
// with trainable weights at or before them.
func (m *Model) needsGrad() map[*node]bool {
	needs := map[*node]bool{}
	for _, n := range m.nodes {
		for _, v := range n.layer.vars {
			needs[n] = needs[n] || v.Trainable
		}
		for _, in := range n.inputs {
			needs[n] = needs[n] || needs[in.node]
		}
	}
	return needs
}
