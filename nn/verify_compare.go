package nn

import (
	"math"
	"strings"

	"github.com/anvil-ml/anvil/tensor"
)

// comparer compares a training plan's buffers on two programs, step by
// step, in the order the step writes them.
type comparer struct {
	plan       *tensor.Plan
	order      []tensor.BufferID // compared buffers, by first write in Train
	got, want  []float32         // scratch, one full buffer each
	first      *Divergence
	worst      map[string]Divergence // by layer
	layerOrder []string
}

// comparedKinds are the buffers VerifyAgainst compares. Inputs are the
// same by construction; the accumulators hold metric counts, which a
// near-tie flips by a whole sample, and the loss sum, which the loss
// buffers already cover.
var comparedKinds = map[tensor.BufferKind]bool{
	tensor.ActivationBuffer: true, tensor.GradientBuffer: true, tensor.ParamBuffer: true,
	tensor.StateBuffer: true, tensor.OutputBuffer: true,
}

// newComparer orders the compared buffers by their first write in the
// Train routine, so the first divergence found is the one nearest its cause.
func newComparer(plan *tensor.Plan) *comparer {
	c := &comparer{plan: plan, worst: map[string]Divergence{}}
	seen := map[tensor.BufferID]bool{}
	largest := 0
	for _, op := range plan.Routines[tensor.Train] {
		for _, a := range op.Accesses() {
			// Float16 buffers (mixed precision) have no float32 view on the
			// GPU; the float32 values they are cast from are compared.
			if !a.Write || a.Buf == tensor.NoBuffer || seen[a.Buf] || !comparedKinds[plan.Buffers[a.Buf].Kind] ||
				plan.Buffers[a.Buf].DType != tensor.Float32 {
				continue
			}
			seen[a.Buf] = true
			c.order = append(c.order, a.Buf)
			largest = max(largest, plan.Elems(a.Buf))
			if l := bufferLayer(plan.Buffers[a.Buf].Name); c.worst[l].Buffer == "" {
				c.layerOrder = append(c.layerOrder, l)
				c.worst[l] = Divergence{Layer: l, Buffer: plan.Buffers[a.Buf].Name}
			}
		}
	}
	c.got, c.want = make([]float32, largest), make([]float32, largest)
	return c
}

// bufferLayer is the layer a buffer belongs to, from its name: buffers of
// a node are "layer/…" (or "layer#i/…" for a shared layer's calls), a
// variable's are "var:layer/…", "grad:layer/…" and "slot:layer/…".
func bufferLayer(name string) string {
	for _, p := range []string{"var:", "grad:", "slot:"} {
		name = strings.TrimPrefix(name, p)
	}
	name, _, found := strings.Cut(name, "/")
	if !found {
		return "" // the loss and metric sums
	}
	name, _, _ = strings.Cut(name, "#")
	return name
}

// step compares every buffer after a step of rows samples, recording the
// first divergence and each layer's worst ratio.
func (c *comparer) step(got, want tensor.Program, step, rows int) error {
	stats := make([]Divergence, len(c.order))
	rms := make([]float64, len(c.order))
	groupScale := map[string]float64{}
	for i, id := range c.order {
		b := c.plan.Buffers[id]
		n := c.plan.Elems(id)
		if b.Batched {
			n = rows * b.Shape.Size() // rows past the step's hold stale values
		}
		if err := got.Read(id, c.got[:n]); err != nil {
			return err
		}
		if err := want.Read(id, c.want[:n]); err != nil {
			return err
		}
		stats[i], rms[i] = compareValues(c.got[:n], c.want[:n])
		g := scaleGroup(b.Name)
		groupScale[g] = max(groupScale[g], rms[i])
	}
	for i, d := range stats {
		b := c.plan.Buffers[c.order[i]]
		d.Step, d.Layer, d.Buffer, d.Kind = step, bufferLayer(b.Name), b.Name, b.Kind.String()
		d.Scale = groupScale[scaleGroup(b.Name)]
		if d.Forward = isForward(b); d.Forward {
			d.Err, d.Tol = relErr(d.MaxAbs, d.Scale), forwardTolerance
		} else {
			d.Err, d.Tol = relErr(d.RMSDiff, d.Scale), backwardTolerance
		}
		c.record(d)
	}
	return nil
}

// isForward tells the forward pass's buffers (activations, outputs, batch
// statistics) from the backward pass's and the update's (gradients,
// weights, moving statistics, optimizer slots).
func isForward(b tensor.Buffer) bool {
	switch b.Kind {
	case tensor.ActivationBuffer, tensor.OutputBuffer:
		return true
	case tensor.StateBuffer:
		return !strings.HasPrefix(b.Name, "var:") && !strings.HasPrefix(b.Name, "slot:")
	}
	return false
}

// record keeps d if it is its layer's worst or the first divergence.
func (c *comparer) record(d Divergence) {
	if w := c.worst[d.Layer]; d.Ratio() > w.Ratio() || w.Tol == 0 {
		c.worst[d.Layer] = d
	}
	if c.first == nil && !(d.Err <= d.Tol) {
		c.first = &d
	}
}

// scaleGroup names the buffers whose differences are measured against a
// common magnitude: the values, gradients or each optimizer slot of one
// layer's variables ("var:L", "grad:L", "slot:L/m"); every other buffer is
// its own group.
func scaleGroup(name string) string {
	for _, p := range []string{"var:", "grad:"} {
		if rest, ok := strings.CutPrefix(name, p); ok {
			return p + bufferLayer(rest)
		}
	}
	if rest, ok := strings.CutPrefix(name, "slot:"); ok {
		return "slot:" + bufferLayer(rest) + "/" + rest[strings.LastIndex(rest, "/")+1:]
	}
	return name
}

// layers returns each layer's worst comparison, in plan order.
func (c *comparer) layers() []LayerWorst {
	out := make([]LayerWorst, 0, len(c.layerOrder))
	for _, l := range c.layerOrder {
		out = append(out, LayerWorst{Layer: l, Worst: c.worst[l]})
	}
	return out
}

// compareValues finds the largest absolute difference between got and
// want and where it is, the root-mean-square difference, and want's root
// mean square. A NaN or infinity on one side only is an infinite
// difference.
func compareValues(got, want []float32) (Divergence, float64) {
	var d Divergence
	var sumSq, sumSqDiff float64
	for i := range want {
		g, w := float64(got[i]), float64(want[i])
		sumSq += w * w
		diff := math.Abs(g - w)
		if g == w || (math.IsNaN(g) && math.IsNaN(w)) {
			diff = 0
		} else if math.IsNaN(diff) || math.IsInf(diff, 0) {
			diff = math.Inf(1)
		}
		sumSqDiff += diff * diff
		if diff > d.MaxAbs || i == 0 {
			d.MaxAbs, d.Index, d.Got, d.Want = diff, i, got[i], want[i]
		}
	}
	if len(want) == 0 {
		return d, 0
	}
	d.RMSDiff = math.Sqrt(sumSqDiff / float64(len(want)))
	return d, math.Sqrt(sumSq / float64(len(want)))
}

// relErr is diff measured in units of scale: 0 when there is no
// difference, infinite when there is one but no scale.
func relErr(diff, scale float64) float64 {
	switch {
	case diff == 0:
		return 0
	case !(scale > 0) || math.IsInf(scale, 0):
		return math.Inf(1)
	}
	return diff / scale
}

// The tolerances. Every step starts from the same weights, statistics and
// optimizer state on both backends (VerifyAgainst copies them over before
// each step), so differences do not compound across steps and the bounds
// do not grow with the step: each holds one step's rounding.
//
//   - Forward buffers: both backends compute each element in float32 with
//     reductions of up to a few thousand terms (a 3×3×64 convolution, a
//     4096-wide dense layer) summed in different orders, which moves an
//     element by a few ulp of the terms' magnitude. Measured against the
//     buffer's root mean square, the largest difference for the reference
//     CNN on lavapipe is about 2e-5 at batch 16 and 32 (20 steps), and
//     2.3e-4 at batch 2, where batch normalization's variance of two
//     samples cancels. forwardTolerance sits above that, and the forward
//     pass is continuous, so one wrong element (a missed row, a stale
//     value, an off-by-one index) that moves a large element by 1e-3 of
//     itself is caught, and named at the first buffer it reaches.
//   - Backward and update buffers: the derivatives of ReLU-like
//     activations and of max pooling jump at a kink, so an element whose
//     pre-activation lies within rounding of it takes a different slope on
//     each backend: an O(1) difference in one element, which flows back
//     into earlier layers and the weight gradients. Adam divides each
//     gradient by its own magnitude, so a weight whose gradient is rounding
//     noise (a bias that feeds batch normalization, exactly zero in exact
//     arithmetic) steps by ±lr at random. Both are correct behaviour that
//     an element-wise bound would flag, so these buffers are held to their
//     root-mean-square difference, measured against the largest root mean
//     square of the same kind among the layer's variables (a bias gradient
//     at rounding level is judged against its kernel's). One kink flip in
//     a buffer of N elements gives about 0.7/sqrt(N), and it spreads to
//     the layers below: at most 1.6e-3 in the reference CNN over 20 steps
//     of 32, 7e-3 at batch 16, 2.5e-3 over 40 steps of 2.
//     backwardTolerance leaves room for that, and a systematic error (a
//     wrong sign, index, scale or missing term) moves the RMS by far more.
const (
	forwardTolerance  = 1e-3
	backwardTolerance = 3e-2
)
