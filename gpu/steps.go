package gpu

import (
	"errors"
	"fmt"
	"slices"

	"github.com/anvil-ml/anvil/gpu/internal/vk"
	"github.com/anvil-ml/anvil/tensor"
)

// RunSteps replays many steps in one queue submission. A chunk of K steps
// is one command buffer holding K copies of the routine; before copy k it
// copies step k's arguments from a host-visible array into the buffer every
// shader reads at binding 0, so neither the shaders nor their descriptor
// sets change. Full barriers separate the copies: step k+1 reads the
// weights step k wrote, and the argument copy must wait for the shaders of
// step k to finish reading the previous arguments.
//
// Two chunks may be in flight, each with its own argument array (slot);
// a chunk's recording is cached per (routine, steps, slot), so the steady
// state of an epoch (full chunks and one short tail) records nothing.

// maxChunkSteps is the most steps one submission carries; longer requests
// become several submissions. It bounds the argument arrays (8 KiB each)
// and the size of a recording.
const maxChunkSteps = 256

// maxChunks bounds the cached recordings; the least recently used one
// that is not in flight is dropped first.
const maxChunks = 12

// chunkKey names a cached recording.
type chunkKey struct {
	r           tensor.Routine
	steps, slot int
}

// stepQueue is RunSteps' state: the argument arrays, the chunks in flight
// and the cached recordings.
type stepQueue struct {
	args     [2]*vk.Buffer   // per slot: maxChunkSteps encoded StepArgs
	inflight [2]*vk.Commands // per slot: the chunk submitted and not yet waited for
	next     int             // the slot the next chunk uses: the older one in flight
	cache    map[chunkKey]*vk.Commands
	used     []chunkKey // the cached keys, least recently used first
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
	for k, a := range args {
		a.Encode(host[k*tensor.StepArgsSize:])
	}
	c, err := p.chunk(chunkKey{r, len(args), slot})
	if err != nil {
		return err
	}
	before := p.dev.Submissions()
	err = c.Submit()
	p.count(before, 0)
	p.last = c
	if err != nil {
		return p.fail(fmt.Sprintf("running %d %v steps", len(args), r), err)
	}
	q.inflight[slot], q.next = c, 1-slot
	return nil
}

// chunk returns the recording for key, recording it on first use.
func (p *program) chunk(key chunkKey) (*vk.Commands, error) {
	q := &p.steps
	if c, ok := q.cache[key]; ok {
		q.touch(key)
		return c, nil
	}
	if err := q.evict(); err != nil {
		return nil, err
	}
	c, err := p.dev.NewCommands()
	if err != nil {
		return nil, err
	}
	if err := p.recordChunk(c, key); err != nil {
		c.Close()
		return nil, err
	}
	if q.cache == nil {
		q.cache = map[chunkKey]*vk.Commands{}
	}
	q.cache[key] = c
	q.touch(key)
	return c, nil
}

// recordChunk records key.steps copies of routine key.r, each reading its
// arguments from element k of slot key.slot's array.
func (p *program) recordChunk(c *vk.Commands, key chunkKey) error {
	if err := c.Begin(); err != nil {
		return err
	}
	for k := range key.steps {
		if k > 0 {
			c.Barrier(vk.Compute|vk.Transfer, vk.Compute|vk.Transfer)
		}
		c.Copy(p.args, 0, p.steps.args[key.slot], int64(k*tensor.StepArgsSize), tensor.StepArgsSize)
		c.Barrier(vk.Transfer, vk.Compute|vk.Transfer)
		if err := p.recordSteps(c, key.r); err != nil {
			c.End()
			return err
		}
	}
	if err := c.End(); err != nil {
		return fmt.Errorf("gpu: recording %d %v steps: %w", key.steps, key.r, err)
	}
	return nil
}

// touch marks key as the most recently used recording.
func (q *stepQueue) touch(key chunkKey) {
	if i := slices.Index(q.used, key); i >= 0 {
		q.used = slices.Delete(q.used, i, i+1)
	}
	q.used = append(q.used, key)
}

// evict drops the least recently used recording that is not in flight
// once the cache is full.
func (q *stepQueue) evict() error {
	if len(q.used) < maxChunks {
		return nil
	}
	for i, key := range q.used {
		c := q.cache[key]
		if c == q.inflight[0] || c == q.inflight[1] {
			continue
		}
		q.used = slices.Delete(q.used, i, i+1)
		delete(q.cache, key)
		return c.Close()
	}
	return nil
}

// close releases the cached recordings (waiting for those in flight).
func (q *stepQueue) close() error {
	var errs []error
	for _, c := range q.cache {
		errs = append(errs, c.Close())
	}
	q.cache, q.used, q.inflight = nil, nil, [2]*vk.Commands{}
	return errors.Join(errs...)
}

// wait waits for the chunk in flight in slot, if any.
func (p *program) wait(slot int) error {
	c := p.steps.inflight[slot]
	if c == nil {
		return nil
	}
	p.steps.inflight[slot] = nil
	if err := c.Wait(); err != nil {
		return p.fail("running steps queued earlier", err)
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
