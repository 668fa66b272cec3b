package gpu

import (
	"errors"
	"fmt"

	"github.com/anvil-ml/anvil/gpu/internal/vk"
	"github.com/anvil-ml/anvil/tensor"
)

// RunSteps replays many steps in one queue submission. A step is a copy
// of the routine preceded by a copy of the step's arguments from a
// host-visible array into the buffer every shader reads at binding 0, so
// neither the shaders nor their descriptor sets change. Full barriers
// separate the steps: step k+1 reads the weights step k wrote, and the
// argument copy must wait until step k's shaders have read the previous
// arguments.
//
// Fit sizes its chunks from the pace of the steps, so a chunk may hold any
// number of steps. A chunk of n steps is therefore split by the binary
// digits of n into recordings of 2^j steps (variants), all submitted
// together in one vkQueueSubmit: at most 9 recordings per routine and
// slot, recorded on first use and kept, whatever the chunk sizes. Variant
// 2^j reads its arguments from elements 2^j−1 .. 2^(j+1)−2 of its slot's
// array, so the variants of one chunk never share an element.
//
// Two chunks may be in flight, each with its own argument array (slot).

// maxVariant is the largest variant, 2^maxVariant steps; a chunk holds at
// most maxChunkSteps = 2^(maxVariant+1) − 1 steps, and longer requests
// become several submissions.
const (
	maxVariant    = 8
	maxChunkSteps = 1<<(maxVariant+1) - 1
)

// stepQueue is RunSteps' state: the argument arrays, the chunks in flight
// and the recorded variants.
type stepQueue struct {
	args     [2]*vk.Buffer     // per slot: maxChunkSteps encoded StepArgs
	inflight [2][]*vk.Commands // per slot: the chunk submitted and not yet waited for
	next     int               // the slot the next chunk uses: the older one in flight
	// variants holds, per routine, the recordings of each slot.
	variants [][2][maxVariant + 1]*vk.Commands
}

// Upload implements tensor.Program: raw bytes into a buffer (a dataset, a
// streamed chunk of one, labels or a sample order), through the device's
// staging path when the buffer is not host-visible.
func (p *program) Upload(id tensor.BufferID, off int, data []byte) error {
	if err := p.settle(); err != nil {
		return err
	}
	if err := p.contract.CheckUpload(id, off, len(data)); err != nil {
		return fmt.Errorf("gpu: %w", err)
	}
	before := p.dev.Submissions()
	err := p.bufs[id].Write(int64(off), data)
	p.count(before, len(data))
	if err != nil {
		return p.transferFailed("uploading to", id, err)
	}
	if order, ok := p.orders[id]; ok {
		copy(order[off:], data)
	}
	return nil
}

// RunSteps implements tensor.Program: the steps are checked, queued in
// chunks of up to maxChunkSteps, one submission each, and RunSteps returns
// once the last chunk is queued. The chunk before it may still run.
func (p *program) RunSteps(r tensor.Routine, args []tensor.StepArgs) error {
	if err := p.usable(); err != nil {
		return err
	}
	if err := p.contract.CheckRunSteps(r, args); err != nil {
		return fmt.Errorf("gpu: %w", err)
	}
	for i, a := range args {
		if err := p.checkOrders(r, a); err != nil {
			return fmt.Errorf("step %d of %d: %w", i+1, len(args), err)
		}
	}
	for len(args) > 0 {
		n := min(len(args), maxChunkSteps)
		if err := p.submitChunk(r, args[:n]); err != nil {
			return err
		}
		args = args[n:]
	}
	return nil
}

// submitChunk queues one chunk in the older slot, after waiting for the
// chunk that used it last.
func (p *program) submitChunk(r tensor.Routine, args []tensor.StepArgs) error {
	q := &p.steps
	slot := q.next
	if err := p.wait(slot); err != nil {
		return err
	}
	host := q.args[slot].Mapped()
	var group []*vk.Commands
	for j, k := maxVariant, 0; j >= 0; j-- {
		size := 1 << j
		if len(args)&size == 0 {
			continue
		}
		for i, a := range args[k : k+size] {
			a.Encode(host[(size-1+i)*tensor.StepArgsSize:])
		}
		c, err := p.variant(r, slot, j)
		if err != nil {
			return err
		}
		group = append(group, c)
		k += size
	}
	before := p.dev.Submissions()
	err := vk.SubmitGroup(group...)
	p.count(before, 0)
	p.last = group
	if err != nil {
		return p.fail(fmt.Sprintf("running %d %v steps", len(args), r), err)
	}
	q.inflight[slot], q.next = group, 1-slot
	return nil
}

// variant returns the recording of 2^j steps of routine r in slot,
// recording it on first use.
func (p *program) variant(r tensor.Routine, slot, j int) (*vk.Commands, error) {
	v := &p.steps.variants[r][slot][j]
	if *v != nil {
		return *v, nil
	}
	c, err := p.dev.NewCommands()
	if err != nil {
		return nil, err
	}
	if err := p.recordVariant(c, r, slot, j); err != nil {
		c.Close()
		return nil, err
	}
	*v = c
	return c, nil
}

// recordVariant records 2^j steps of routine r, step i reading its
// arguments from element 2^j−1+i of slot's array.
func (p *program) recordVariant(c *vk.Commands, r tensor.Routine, slot, j int) error {
	if err := c.Begin(); err != nil {
		return err
	}
	size := 1 << j
	for i := range size {
		if i > 0 {
			c.Barrier(vk.Compute|vk.Transfer, vk.Compute|vk.Transfer)
		}
		c.Copy(p.args, 0, p.steps.args[slot], int64((size-1+i)*tensor.StepArgsSize), tensor.StepArgsSize)
		c.Barrier(vk.Transfer, vk.Compute|vk.Transfer)
		if err := p.recordSteps(c, r); err != nil {
			c.End()
			return err
		}
	}
	if err := c.End(); err != nil {
		return fmt.Errorf("gpu: recording %d %v steps: %w", size, r, err)
	}
	return nil
}

// close releases the recorded variants (waiting for those in flight).
func (q *stepQueue) close() error {
	var errs []error
	for r := range q.variants {
		for slot := range q.variants[r] {
			for _, c := range q.variants[r][slot] {
				if c != nil {
					errs = append(errs, c.Close())
				}
			}
		}
	}
	q.variants, q.inflight = nil, [2][]*vk.Commands{}
	return errors.Join(errs...)
}

// wait waits for the chunk in flight in slot, if any.
func (p *program) wait(slot int) error {
	group := p.steps.inflight[slot]
	p.steps.inflight[slot] = nil
	for _, c := range group {
		if err := c.Wait(); err != nil {
			return p.fail("running steps queued earlier", err)
		}
	}
	return nil
}

// settle waits for all work in flight, the older chunk first: what Write,
// Upload, Read, Run and Close do before touching buffers. It returns the
// error of a chunk that failed, or of any earlier failure.
func (p *program) settle() error {
	if err := p.usable(); err != nil {
		return err
	}
	if err := p.wait(p.steps.next); err != nil {
		return err
	}
	return p.wait(1 - p.steps.next)
}

// usable returns why the program cannot take work: closed, or failed.
func (p *program) usable() error {
	if p.closed {
		return errClosed
	}
	return p.err
}

// Stats reports the queue submissions and uploaded bytes since Compile
// (tensor.StatsReporter).
func (p *program) Stats() tensor.ProgramStats { return p.stats }

// count adds the submissions made since the device counted before, and
// the bytes uploaded, to the program's statistics.
func (p *program) count(before int64, uploaded int) {
	p.stats.Submissions += p.dev.Submissions() - before
	p.stats.BytesUploaded += int64(uploaded)
}
