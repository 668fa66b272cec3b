package selftest

import (
	"fmt"
	"math/rand/v2"

	"github.com/anvil-ml/anvil/tensor"
)

// opCase is one plan of one or more independent ops (each with buffers of
// its own: several ops in one plan share one compiled program and so its
// pipelines, which a driver may take a while to compile), run once per
// entry of rows from the same initial contents.
type opCase struct {
	// name describes the case in messages; shapes lists each op's shape.
	name    string
	shapes  []string
	plan    *tensor.Plan
	routine tensor.Routine
	// rows lists the valid row counts to run with, each from scratch.
	rows []int
	// steps is the number of steps per run (1 when zero).
	steps int
	// init holds the initial contents of buffers; every other float32
	// buffer starts with uniform random values in [-1, 1).
	init map[tensor.BufferID][]float32
	// raw holds the bytes uploaded into the buffers that do not hold
	// float32 (datasets and sample orders); they are inputs, not compared.
	raw map[tensor.BufferID][]byte
	// start is StepArgs.Start of every step: where the rows begin in the
	// sample order the gathers read.
	start int
	// perStep, when set, gives buffers written before each step (a new
	// gradient for an optimizer).
	perStep func(step int) map[tensor.BufferID][]float32
	// tols gives the tolerance of a buffer for a run of rows valid rows;
	// buffers it leaves out must match exactly.
	tols map[tensor.BufferID]func(rows int) Tol
}

// newCase starts a case of one routine over a plan of batch samples.
func newCase(batch int, rows ...int) *opCase {
	return &opCase{plan: tensor.NewPlan(batch), rows: rows, init: map[tensor.BufferID][]float32{},
		raw: map[tensor.BufferID][]byte{}, tols: map[tensor.BufferID]func(int) Tol{}}
}

// emit adds op, whose shape desc describes for the report, to the case's
// routine and gives every buffer it writes the tolerance tol returns (nil:
// exact).
func (c *opCase) emit(desc string, op tensor.Op, tol func(rows int) Tol) {
	c.plan.Emit(c.routine, op)
	c.shapes = append(c.shapes, fmt.Sprintf("%s, %s", desc, batchName(c.plan.Batch, c.rows)))
	if tol == nil {
		return
	}
	for _, a := range op.Accesses() {
		if a.Write && a.Buf != tensor.NoBuffer {
			c.tols[a.Buf] = tol
		}
	}
}

// fixed is a tolerance that does not depend on the row count.
func fixed(t Tol) func(int) Tol { return func(int) Tol { return t } }

// buf adds a buffer of the given kind and shape.
func (c *opCase) buf(name string, kind tensor.BufferKind, batched bool, shape ...int) tensor.BufferID {
	return c.plan.AddBuffer(name, kind, batched, tensor.Shape(shape))
}

// initial returns the starting contents of every buffer, drawing the
// random ones from r.
func (c *opCase) initial(r *rand.Rand) [][]float32 {
	out := make([][]float32, len(c.plan.Buffers))
	for id, b := range c.plan.Buffers {
		if b.DType != tensor.Float32 {
			continue
		}
		if v, ok := c.init[tensor.BufferID(id)]; ok {
			out[id] = v
			continue
		}
		out[id] = uniform(r, c.plan.Elems(tensor.BufferID(id)), 1)
	}
	return out
}

// stepArgs are the arguments of step i (from 0) of a run.
func (c *opCase) stepArgs(i, rows int, seed uint64) tensor.StepArgs {
	return tensor.StepArgs{Rows: rows, Step: uint64(i + 1), LearningRate: 0.01 * float32(i+1), Seed: seed, Start: c.start}
}

// runOn compiles the case on b and returns, per entry of rows, every
// buffer after the run, in full.
func (c *opCase) runOn(b tensor.Backend, initial [][]float32, seed uint64) (out [][][]float32, err error) {
	prog, err := b.Compile(c.plan)
	if err != nil {
		return nil, fmt.Errorf("%s: compile: %w", b.Name(), err)
	}
	defer func() {
		if cerr := prog.Close(); cerr != nil && err == nil {
			err = fmt.Errorf("%s: close: %w", b.Name(), cerr)
		}
	}()
	for _, rows := range c.rows {
		bufs, err := c.runRows(prog, initial, rows, seed)
		if err != nil {
			return nil, fmt.Errorf("%s, %d rows: %w", b.Name(), rows, err)
		}
		out = append(out, bufs)
	}
	return out, nil
}

func (c *opCase) runRows(prog tensor.Program, initial [][]float32, rows int, seed uint64) ([][]float32, error) {
	for id, v := range initial {
		if v == nil {
			continue
		}
		if err := prog.Write(tensor.BufferID(id), v); err != nil {
			return nil, err
		}
	}
	for id, data := range c.raw {
		if err := prog.Upload(id, 0, data); err != nil {
			return nil, err
		}
	}
	for i := range max(c.steps, 1) {
		if c.perStep != nil {
			for id, v := range c.perStep(i) {
				if err := prog.Write(id, v); err != nil {
					return nil, err
				}
			}
		}
		if err := prog.Run(c.routine, c.stepArgs(i, rows, seed)); err != nil {
			return nil, fmt.Errorf("step %d: %w", i+1, err)
		}
	}
	bufs := make([][]float32, len(c.plan.Buffers))
	for id := range bufs {
		if c.plan.Buffers[id].DType != tensor.Float32 {
			continue
		}
		bufs[id] = make([]float32, c.plan.Elems(tensor.BufferID(id)))
		if err := prog.Read(tensor.BufferID(id), bufs[id]); err != nil {
			return nil, err
		}
	}
	return bufs, nil
}

// needsMagnitude reports whether any tolerance of the case scales with the
// magnitude run.
func (c *opCase) needsMagnitude() bool {
	for _, rows := range c.rows {
		for _, t := range c.tols {
			if t(rows).needsMagnitude() {
				return true
			}
		}
	}
	return false
}

// check runs the case on the backend under test and on the reference and
// compares every buffer: within its tolerance over the valid rows, and
// exactly beyond them (where both must have left the initial values).
func (c *opCase) check(under, ref tensor.Backend, r *rand.Rand, seed uint64) (worst, error) {
	initial := c.initial(r)
	got, err := c.runOn(under, initial, seed)
	if err != nil {
		return worst{}, err
	}
	want, err := c.runOn(ref, initial, seed)
	if err != nil {
		return worst{}, fmt.Errorf("the reference failed: %w", err)
	}
	var mag [][][]float32
	if c.needsMagnitude() {
		abs := make([][]float32, len(initial))
		for i, v := range initial {
			if v != nil {
				abs[i] = absValues(v)
			}
		}
		if mag, err = c.runOn(ref, abs, seed); err != nil {
			return worst{}, fmt.Errorf("the reference failed on |inputs|: %w", err)
		}
	}
	var w worst
	for ri, rows := range c.rows {
		for id, b := range c.plan.Buffers {
			if b.DType != tensor.Float32 {
				continue
			}
			tol := exact
			if t, ok := c.tols[tensor.BufferID(id)]; ok {
				tol = t(rows)
			}
			valid := c.plan.Elems(tensor.BufferID(id))
			if b.Batched {
				valid = rows * b.Shape.Size()
			}
			var m []float32
			if mag != nil {
				m = mag[ri][id]
			}
			w.compare(got[ri][id], want[ri][id], m, valid, tol,
				func() string { return fmt.Sprintf("%s, %d rows, buffer %q", c.name, rows, b.Name) })
		}
	}
	return w, nil
}

// uniform returns n values uniform in [-s, s).
func uniform(r *rand.Rand, n int, s float32) []float32 {
	v := make([]float32, n)
	for i := range v {
		v[i] = s * (2*r.Float32() - 1)
	}
	return v
}

func absValues(v []float32) []float32 {
	out := make([]float32, len(v))
	for i, x := range v {
		if x < 0 {
			x = -x
		}
		out[i] = x
	}
	return out
}
