package gpu

import (
	"fmt"
	"strings"

	"github.com/anvil-ml/anvil/tensor"
)

// program is a tensor.Plan compiled for a Device: one buffer per plan
// buffer, pipelines created once, and one recorded command buffer per
// routine.
type program struct {
	dev       *Device
	plan      *tensor.Plan
	bufs      []*Buffer // by BufferID
	dummy     *Buffer   // bound where an op has NoBuffer
	args      *Buffer   // the step arguments, HostMemory
	pipelines map[string]*Pipeline

	// What the executor adds (executor.go): every device object made while
	// compiling (buffers, pipelines, descriptor sets, command buffers,
	// whoever made them), released by Close; the recorded command buffer
	// and barrier count of each routine.
	owned    []resource
	cmds     [3]*Commands
	barriers [3]int
	contract *tensor.Contract // the plan's checks of Write, Read and Run
	last     tensor.Routine   // the routine Run replayed last, for GPUTime
	closed   bool
}

// buffer returns the device buffer of id, or a small dummy for NoBuffer so
// that every shader keeps one fixed descriptor layout.
func (p *program) buffer(id tensor.BufferID) *Buffer {
	if id == tensor.NoBuffer {
		return p.dummy
	}
	return p.bufs[id]
}

// pipeline returns the pipeline for shader with the given layout and
// specialization constants, creating it on first use. bindings counts the
// op's buffers; the step-arguments binding is added here.
func (p *program) pipeline(shader string, bindings, pushBytes int, constants ...uint32) (*Pipeline, error) {
	key := fmt.Sprintf("%s/%d/%d/%v", shader, bindings, pushBytes, constants)
	if pl, ok := p.pipelines[key]; ok {
		return pl, nil
	}
	pl, err := p.dev.NewPipeline(PipelineSpec{Shader: shader, Bindings: bindings + 1, PushBytes: pushBytes, Constants: constants})
	if err != nil {
		return nil, err
	}
	p.pipelines[key] = pl
	return pl, nil
}

// bind makes a descriptor set with the step arguments at binding 0 and the
// op's buffers after it, in order.
func (p *program) bind(pl *Pipeline, ids ...tensor.BufferID) (*DescriptorSet, error) {
	bufs := []*Buffer{p.args}
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
