package tensor

import (
	"errors"
	"fmt"
)

// Contract is a validated Plan together with what every backend derives
// from it, and the checks of the Program calls made against it. Backends
// build one in Compile and call its checks first in Write, Read and Run,
// so both give the same errors (each prefixes its name).
type Contract struct {
	plan *Plan
	// needsStep marks routines with an Adam update, which divides by
	// 1−β^t and so needs Step ≥ 1.
	needsStep []bool
	// orderLen is, per routine, the fewest rows a gather's sample order or
	// a scatter's destination holds (0 when the routine has neither):
	// Start+Rows may not pass it.
	orderLen []int
}

// NewContract validates p (see Plan.Validate) and derives what the
// backends need of it.
func NewContract(p *Plan) (*Contract, error) {
	if p == nil {
		return nil, errors.New("nil plan")
	}
	if err := p.Validate(); err != nil {
		return nil, err
	}
	c := &Contract{plan: p, needsStep: make([]bool, len(p.Routines)), orderLen: make([]int, len(p.Routines))}
	for r, ops := range p.Routines {
		for _, op := range ops {
			switch o := op.(type) {
			case AdamUpdate, NadamUpdate:
				c.needsStep[r] = true
			case GatherRows:
				c.noteRows(r, p.Elems(o.Order))
			case GatherLabels:
				c.noteRows(r, p.Elems(o.Order))
			case ScatterRows:
				c.noteRows(r, p.Elems(o.Dst)/o.Features)
			}
		}
	}
	return c, nil
}

// noteRows records that routine r reads or writes rows 0..n-1 at Start
// (a sample order, a scatter's destination).
func (c *Contract) noteRows(r, n int) {
	if c.orderLen[r] == 0 || n < c.orderLen[r] {
		c.orderLen[r] = n
	}
}

// NeedsStep reports whether routine r needs StepArgs.Step ≥ 1.
func (c *Contract) NeedsStep(r Routine) bool {
	return r >= 0 && int(r) < len(c.needsStep) && c.needsStep[r]
}

// checkBuffer rejects an id that names no buffer.
func (c *Contract) checkBuffer(id BufferID) error {
	if id < 0 || int(id) >= len(c.plan.Buffers) {
		return fmt.Errorf("buffer %d does not exist (the plan has %d buffers)", id, len(c.plan.Buffers))
	}
	return nil
}

// CheckWrite checks Program.Write(id, data) with n = len(data).
func (c *Contract) CheckWrite(id BufferID, n int) error {
	if err := c.checkBuffer(id); err != nil {
		return err
	}
	if err := c.checkFloat(id, "write"); err != nil {
		return err
	}
	if held := c.plan.Elems(id); n > held {
		return fmt.Errorf("writing %d values to buffer %d (%q), which holds %d", n, id, c.plan.Buffers[id].Name, held)
	}
	return nil
}

// checkFloat rejects Write and Read of a buffer that does not hold float32.
func (c *Contract) checkFloat(id BufferID, verb string) error {
	if b := c.plan.Buffers[id]; b.DType != Float32 {
		return fmt.Errorf("cannot %s buffer %d (%q) as float32: it holds %v (data buffers take Upload)", verb, id, b.Name, b.DType)
	}
	return nil
}

// CheckRead checks Program.Read(id, dst) with n = len(dst).
func (c *Contract) CheckRead(id BufferID, n int) error {
	if err := c.checkBuffer(id); err != nil {
		return err
	}
	if err := c.checkFloat(id, "read"); err != nil {
		return err
	}
	if held := c.plan.Elems(id); n > held {
		return fmt.Errorf("reading %d values from buffer %d (%q), which holds %d", n, id, c.plan.Buffers[id].Name, held)
	}
	return nil
}

// CheckRun checks Program.Run(r, a). It does not allocate when a is valid.
func (c *Contract) CheckRun(r Routine, a StepArgs) error {
	if r < 0 || int(r) >= len(c.plan.Routines) {
		return fmt.Errorf("unknown routine %v", r)
	}
	if r >= TrainGrad && len(c.plan.Routines[r]) == 0 {
		return fmt.Errorf("%v is empty: the plan was not lowered for data-parallel training", r)
	}
	if a.Rows < 1 || a.Rows > c.plan.Batch {
		return fmt.Errorf("%v with %d rows: rows must be in 1..%d (the plan's batch size)", r, a.Rows, c.plan.Batch)
	}
	if c.needsStep[r] && a.Step == 0 {
		return fmt.Errorf("%v: Step is 0, but Adam's bias correction needs the 1-based step", r)
	}
	if n := c.orderLen[r]; n > 0 && (a.Start < 0 || a.Start+a.Rows > n) {
		return fmt.Errorf("%v: rows %d..%d of a sample order or scatter destination that holds %d rows", r, a.Start, a.Start+a.Rows, n)
	}
	return nil
}

// CheckRunSteps checks Program.RunSteps(r, args): each step as CheckRun.
func (c *Contract) CheckRunSteps(r Routine, args []StepArgs) error {
	for i, a := range args {
		if err := c.CheckRun(r, a); err != nil {
			return fmt.Errorf("step %d of %d: %w", i+1, len(args), err)
		}
	}
	return nil
}

// CheckUpload checks Program.Upload(id, off, data) with n = len(data).
func (c *Contract) CheckUpload(id BufferID, off, n int) error {
	if err := c.checkBuffer(id); err != nil {
		return err
	}
	b := c.plan.Buffers[id]
	held := c.plan.Elems(id) * b.DType.Size()
	if off < 0 || n < 0 || off+n > held {
		return fmt.Errorf("uploading %d bytes at offset %d to buffer %d (%q), which holds %d bytes", n, off, id, b.Name, held)
	}
	return nil
}
