package gpu

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/anvil-ml/anvil/gpu/internal/vk"
	"github.com/anvil-ml/anvil/tensor"
)

// program is a tensor.Plan compiled for a Device: one buffer per plan
// buffer, pipelines created once, and one recorded command buffer per
// routine.
type program struct {
	dev       *vk.Device
	plan      *tensor.Plan
	bufs      []*vk.Buffer // by BufferID
	dummy     *vk.Buffer   // bound where an op has NoBuffer
	args      *vk.Buffer   // the step arguments, HostMemory
	pipelines map[string]*vk.Pipeline

	// Every device object made while compiling (buffers, pipelines,
	// descriptor sets, command buffers, whoever made them), released by
	// Close; the recorded command buffer and barrier count of each routine.
	owned    []vk.Object
	cmds     []*vk.Commands
	barriers []int
	// Each routine's bound kernels and the barriers before them, kept to
	// record the multi-step command buffers of RunSteps (steps.go).
	kernels  [][]opKernel
	needs    [][]bool
	contract *tensor.Contract // the plan's checks of Write, Read and Run
	last     []*vk.Commands   // the command buffers submitted last, for GPUTime
	closed   bool

	steps stepQueue // RunSteps' chunks in flight and their recordings
	// gathers holds the gathers of each routine, whose orders Run checks.
	gathers [][]gatherRef
	orders  map[tensor.BufferID][]byte // the host's copy of every sample order
	stats   tensor.ProgramStats
	err     error // the failure that ended the program (failure.go), returned by every later call
	// tuneDeadline ends this compile's time for autotuning (tune.go),
	// set when the first shape is tuned.
	tuneDeadline time.Time
	gemmConfigs  []string // what each GEMM-family op chose (GEMMConfigs)
}

// buffer returns the device buffer of id, or a small dummy for NoBuffer so
// that every shader keeps one fixed descriptor layout.
func (p *program) buffer(id tensor.BufferID) *vk.Buffer {
	if id == tensor.NoBuffer {
		return p.dummy
	}
	return p.bufs[id]
}

// pipeline returns the pipeline for shader with the given layout and
// specialization constants, creating it on first use. bindings counts the
// op's buffers; the step-arguments binding is added here.
func (p *program) pipeline(shader string, bindings, pushBytes int, constants ...uint32) (*vk.Pipeline, error) {
	key := fmt.Sprintf("%s/%d/%d/%v", shader, bindings, pushBytes, constants)
	if pl, ok := p.pipelines[key]; ok {
		return pl, nil
	}
	pl, err := p.dev.NewPipeline(vk.PipelineSpec{Shader: shader, Bindings: bindings + 1, PushBytes: pushBytes, Constants: constants})
	if err != nil {
		return nil, err
	}
	p.pipelines[key] = pl
	return pl, nil
}

// bind makes a descriptor set with the step arguments at binding 0 and the
// op's buffers after it, in order.
func (p *program) bind(pl *vk.Pipeline, ids ...tensor.BufferID) (*vk.DescriptorSet, error) {
	bufs := []*vk.Buffer{p.args}
	names := []string{}
	for _, id := range ids {
		bufs = append(bufs, p.buffer(id))
		if id != tensor.NoBuffer {
			names = append(names, p.plan.Buffers[id].Name)
		}
	}
	set, err := pl.Bind(bufs...)
	if err != nil {
		return nil, fmt.Errorf("bind %s: %w", strings.Join(names, ", "), err)
	}
	return set, nil
}

// compileProgram turns plan into a program on dev: every buffer allocated
// once and zeroed (as the CPU backend's are), every op bound to its
// pipelines and descriptor sets, and each routine recorded into one
// reusable command buffer.
func compileProgram(dev *vk.Device, plan *tensor.Plan) (*program, error) {
	contract, err := tensor.NewContract(plan)
	if err != nil {
		return nil, fmt.Errorf("gpu: %w", err)
	}
	if err := checkRanges(dev, plan); err != nil {
		return nil, err
	}
	n := len(plan.Routines)
	p := &program{dev: dev, plan: plan, contract: contract, pipelines: map[string]*vk.Pipeline{},
		orders: map[tensor.BufferID][]byte{}, cmds: make([]*vk.Commands, n), barriers: make([]int, n),
		kernels: make([][]opKernel, n), needs: make([][]bool, n), gathers: make([][]gatherRef, n)}
	p.steps.variants = make([][2][maxVariant + 1]*vk.Commands, n)
	before := dev.Live()
	ok := false
	defer func() {
		// Everything the device gained while compiling is the program's,
		// however a kernel made it (Live leaves out the device's staging
		// path, which is the device's even when made now).
		for r := range dev.Live() {
			if _, old := before[r]; !old {
				p.owned = append(p.owned, r)
			}
		}
		if !ok {
			p.Close()
		}
	}()
	if err := p.allocate(); err != nil {
		return nil, err
	}
	for r, ops := range plan.Routines {
		if len(ops) == 0 && tensor.Routine(r) >= tensor.TrainGrad {
			continue // a plan for one process has no split routines (Run rejects them)
		}
		ops = groupUpdates(fuseBNActivation(fuseEpilogue(ops)), dev.Limits().MaxBindings)
		kernels := make([]opKernel, len(ops))
		for i, op := range ops {
			k, err := p.bindOp(op)
			if err != nil {
				return nil, fmt.Errorf("gpu: %v op %d (%T): %w", tensor.Routine(r), i, op, err)
			}
			kernels[i] = k
			p.noteGather(r, op)
		}
		if err := p.record(tensor.Routine(r), ops, kernels); err != nil {
			return nil, err
		}
	}
	ok = true
	return p, nil
}

// checkRanges rejects a plan with a buffer larger than one storage binding
// can reach (maxStorageBufferRange: 128 MiB on lavapipe, 4 GiB on most
// GPUs), before anything is allocated.
func checkRanges(dev *vk.Device, plan *tensor.Plan) error {
	limit := dev.Limits().MaxStorageRange
	for i, b := range plan.Buffers {
		bytes := uint64(bufferBytes(plan, tensor.BufferID(i)))
		if limit > 0 && bytes > limit {
			what := "the layer's size"
			switch {
			case b.Kind == tensor.DataBuffer:
				what = "the part of the dataset held at once (stream it in chunks; see Backend.MaxBufferBytes)"
			case b.Batched:
				what = fmt.Sprintf("the batch size (%d) or the layer's size", plan.Batch)
			}
			return fmt.Errorf("gpu: buffer %q needs %d bytes (%s), more than the %s one shader binding can reach on %s "+
				"(maxStorageBufferRange); reduce %s", b.Name, bytes, vk.FormatBytes(bytes), vk.FormatBytes(limit),
				dev.Info().Name, what)
		}
	}
	return nil
}

// bufferBytes is the size of plan buffer id in bytes, by its element type
// (NewBuffer rounds it up to whole 32-bit words).
func bufferBytes(plan *tensor.Plan, id tensor.BufferID) int64 {
	return int64(plan.Elems(id)) * int64(plan.Buffers[id].DType.Size())
}

// allocate creates and zeroes every plan buffer, the dummy and the
// step-arguments buffers.
func (p *program) allocate() error {
	var err error
	p.bufs = make([]*vk.Buffer, len(p.plan.Buffers))
	for i, b := range p.plan.Buffers {
		bytes := max(bufferBytes(p.plan, tensor.BufferID(i)), 4)
		if p.bufs[i], err = p.dev.NewBuffer(bytes, vk.DeviceMemory); err != nil {
			return fmt.Errorf("gpu: allocating buffer %q (%s) of a plan that needs %s in all: %w",
				b.Name, vk.FormatBytes(uint64(bytes)), vk.FormatBytes(uint64(p.plan.Bytes())), err)
		}
	}
	if p.dummy, err = p.dev.NewBuffer(4, vk.DeviceMemory); err != nil {
		return fmt.Errorf("gpu: allocating the dummy buffer: %w", err)
	}
	if p.args, err = p.dev.NewBuffer(tensor.StepArgsSize, vk.HostMemory); err != nil {
		return fmt.Errorf("gpu: allocating the step-arguments buffer: %w", err)
	}
	for i := range p.steps.args {
		if p.steps.args[i], err = p.dev.NewBuffer(maxChunkSteps*tensor.StepArgsSize, vk.HostMemory); err != nil {
			return fmt.Errorf("gpu: allocating the multi-step arguments: %w", err)
		}
	}
	return p.zero(append(append([]*vk.Buffer{}, p.bufs...), p.dummy))
}

// zero fills bufs with zeros in one submission.
func (p *program) zero(bufs []*vk.Buffer) error {
	c, err := p.dev.NewCommands()
	if err != nil {
		return err
	}
	defer c.Close()
	if err := c.Begin(); err != nil {
		return err
	}
	for _, b := range bufs {
		c.Fill(b, 0, b.Size(), 0)
	}
	if err := c.End(); err != nil {
		return err
	}
	return c.Run()
}

// private allocates a zeroed buffer of n float32 values that one kernel
// keeps to itself: partial sums, or the target of an absent output.
func (p *program) private(n int) (*vk.Buffer, error) {
	b, err := p.dev.NewBuffer(int64(max(n, 1))*4, vk.DeviceMemory)
	if err != nil {
		return nil, fmt.Errorf("gpu: allocating %d values of scratch: %w", n, err)
	}
	if err := p.zero([]*vk.Buffer{b}); err != nil {
		return nil, err
	}
	return b, nil
}

// record records routine r: each op's dispatches, with a barrier before an
// op only where barrierPlan finds a dependency on work since the last one.
// Kernels may end with a transfer command, so the barrier orders both
// compute and transfer work.
func (p *program) record(r tensor.Routine, ops []tensor.Op, kernels []opKernel) error {
	c, err := p.dev.NewCommands()
	if err != nil {
		return err
	}
	p.cmds[r] = c
	p.kernels[r], p.needs[r] = kernels, barrierPlan(ops)
	for _, need := range p.needs[r] {
		if need {
			p.barriers[r]++
		}
	}
	if err := c.Begin(); err != nil {
		return err
	}
	if err := p.recordSteps(c, r); err != nil {
		c.End()
		return err
	}
	if err := c.End(); err != nil {
		return fmt.Errorf("gpu: recording %v: %w", r, err)
	}
	return nil
}

// recordSteps appends one step of routine r to c.
func (p *program) recordSteps(c *vk.Commands, r tensor.Routine) error {
	for i, need := range p.needs[r] {
		if need {
			c.Barrier(vk.Compute|vk.Transfer, vk.Compute|vk.Transfer)
		}
		if err := p.kernels[r][i].record(c); err != nil {
			return fmt.Errorf("gpu: recording %v op %d (%T): %w", r, i, p.plan.Routines[r][i], err)
		}
	}
	return nil
}

var errClosed = errors.New("gpu: the program is closed")

// Write implements tensor.Program.
func (p *program) Write(id tensor.BufferID, data []float32) error {
	if err := p.settle(); err != nil {
		return err
	}
	if err := p.contract.CheckWrite(id, len(data)); err != nil {
		return fmt.Errorf("gpu: %w", err)
	}
	before := p.dev.Submissions()
	err := p.bufs[id].WriteFloat32(data)
	p.count(before, 4*len(data))
	if err != nil {
		return p.transferFailed("writing", id, err)
	}
	return nil
}

// Read implements tensor.Program.
func (p *program) Read(id tensor.BufferID, dst []float32) error {
	if err := p.settle(); err != nil {
		return err
	}
	if err := p.contract.CheckRead(id, len(dst)); err != nil {
		return fmt.Errorf("gpu: %w", err)
	}
	before := p.dev.Submissions()
	err := p.bufs[id].ReadFloat32(dst)
	p.count(before, 0)
	if err != nil {
		return p.transferFailed("reading", id, err)
	}
	return nil
}

// Run implements tensor.Program: it writes the step arguments, replays the
// routine's command buffer and waits for it.
func (p *program) Run(r tensor.Routine, a tensor.StepArgs) error {
	if err := p.settle(); err != nil {
		return err
	}
	if err := p.contract.CheckRun(r, a); err != nil {
		return fmt.Errorf("gpu: %w", err)
	}
	if err := p.checkOrders(r, a); err != nil {
		return err
	}
	a.Encode(p.args.Mapped())
	before := p.dev.Submissions()
	err := p.cmds[r].Run()
	p.count(before, 0)
	p.last = []*vk.Commands{p.cmds[r]}
	if err != nil {
		return p.fail(fmt.Sprintf("running %v", r), err)
	}
	return nil
}

// GPUTime is the device time the last Run or RunSteps submission took,
// from GPU timestamps around each of its command buffers (benchmarks read it to
// separate device time from host overhead). It waits for work in flight.
func (p *program) GPUTime() (time.Duration, error) {
	if err := p.settle(); err != nil {
		return 0, err
	}
	if p.last == nil {
		return 0, fmt.Errorf("gpu: GPUTime before any Run")
	}
	var sum time.Duration
	for _, c := range p.last {
		d, err := c.GPUTime()
		if err != nil {
			return 0, err
		}
		sum += d
	}
	return sum, nil
}

// Close implements tensor.Program: it waits for the device and releases
// the program's command buffers, descriptor sets, pipelines and memory.
// Later calls return an error; closing twice is harmless.
func (p *program) Close() error {
	if p.closed {
		return nil
	}
	var first error
	keep := func(err error) {
		if first == nil {
			first = err
		}
	}
	if p.err == nil {
		keep(p.settle())
	}
	// After a failure the device may never finish what was in flight:
	// nothing waits for it (a lost device returns at once).
	p.closed = true
	keep(p.steps.close())
	// Command buffers first: closing one waits for its submission.
	for _, r := range p.owned {
		if c, ok := r.(*vk.Commands); ok {
			keep(c.Close())
		}
	}
	for _, r := range p.owned {
		if _, cmds := r.(*vk.Commands); !cmds {
			keep(r.Close())
		}
	}
	p.owned, p.cmds, p.pipelines, p.bufs, p.last = nil, nil, nil, nil, nil
	return first
}
