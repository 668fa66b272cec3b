package vk

import (
	"errors"
	"fmt"
	"time"

	"github.com/anvil-ml/anvil/internal/faults"
)

// waitTimeout bounds Wait: a step that takes longer means a hung device.
const waitTimeout = 10 * time.Minute

// Stage is a set of pipeline stages that a barrier orders.
type Stage uint32

const (
	// Compute is compute-shader dispatches.
	Compute Stage = 1 << iota
	// Transfer is Copy and Fill.
	Transfer
)

// Commands is a reusable command buffer: record it once between Begin and
// End, then Run (or Submit and Wait) it as often as needed. Recording
// methods report misuse through End, the way bufio.Writer reports errors
// through Flush.
//
// Every recording starts with a barrier that orders it after all earlier
// submissions and ends with one that makes its writes visible to the host,
// so consecutive runs and host reads after Wait need no extra barriers.
// Within one recording, call Barrier between a command that writes a buffer
// and a later one that reads or writes it.
type Commands struct {
	dev        *Device
	cb         commandBuffer
	timestamps bool
	recording  bool
	recorded   bool   // End succeeded: the buffer can be submitted
	pending    bool   // submitted and not yet waited for
	ran        bool   // a submission completed since the last recording
	err        error  // the first misuse within the current recording
	stray      error  // a recording method called outside Begin and End
	counts     Counts // what the current recording holds
	// signal is the buffer whose fence this one's pending submission
	// signals, when it was submitted as part of a group (SubmitGroup).
	signal *Commands
}

// Counts is what one recording holds: its dispatches and its barriers
// (Barrier calls, the one Begin places included; the host barrier End adds
// is not counted). Fewer of both is the point of fusing kernels: on a
// discrete GPU each dispatch costs several microseconds however little it
// does, and each barrier drains the device.
type Counts struct {
	Dispatches, Barriers int
}

// Counts returns what the last recording holds.
func (c *Commands) Counts() Counts { return c.counts }

// NewCommands allocates a command buffer. It records GPU timestamps when
// the device supports them (see GPUTime).
func (d *Device) NewCommands() (*Commands, error) {
	if err := d.Usable(); err != nil {
		return nil, err
	}
	cb, err := d.drv.newCommandBuffer(d.phys.info.Timestamps)
	if err != nil {
		return nil, fmt.Errorf("gpu: creating a command buffer: %w", err)
	}
	c := &Commands{dev: d, cb: cb, timestamps: d.phys.info.Timestamps}
	d.track(c)
	return c, nil
}

// Begin starts a new recording, discarding the previous one. It waits for a
// pending submission first.
func (c *Commands) Begin() error {
	if err := c.dev.Usable(); err != nil {
		return err
	}
	if c.recording {
		return fmt.Errorf("gpu: Begin while already recording; call End first")
	}
	if err := c.stray; err != nil {
		c.stray = nil
		return err
	}
	if err := c.Wait(); err != nil {
		return err
	}
	if err := c.cb.begin(); err != nil {
		return fmt.Errorf("gpu: %w", err)
	}
	c.recording, c.recorded, c.ran, c.err = true, false, false, nil
	c.counts = Counts{}
	c.Barrier(Compute|Transfer, Compute|Transfer)
	return nil
}

// Dispatch records a dispatch of x·y·z workgroups of set's pipeline. push
// is the push-constant block, exactly the pipeline's PushBytes long; its
// values are fixed at recording time.
func (c *Commands) Dispatch(set *DescriptorSet, push []byte, x, y, z int) {
	if !c.ok() {
		return
	}
	if set == nil || set.dev != c.dev || set.pipeline.dev != c.dev {
		c.fail(fmt.Errorf("gpu: Dispatch with a closed descriptor set or pipeline"))
		return
	}
	spec := set.pipeline.spec
	if len(push) != spec.PushBytes {
		c.fail(fmt.Errorf("gpu: Dispatch of %q: %d push-constant bytes, the pipeline declares %d", spec.name(), len(push), spec.PushBytes))
		return
	}
	maxGroups := c.dev.phys.limits.maxGroupCount
	for i, n := range []int{x, y, z} {
		if n < 0 || n > int(maxGroups[i]) {
			c.fail(fmt.Errorf("gpu: Dispatch of %q: %d workgroups in dimension %d; the device allows 0 to %d",
				spec.name(), n, i, maxGroups[i]))
			return
		}
	}
	c.cb.dispatch(set.pipeline.h, set.set, push, uint32(x), uint32(y), uint32(z))
	c.counts.Dispatches++
}

// Barrier records a memory barrier: writes by commands of the src stages
// recorded before it become visible to reads and writes by commands of the
// dst stages recorded after it.
func (c *Commands) Barrier(src, dst Stage) {
	if !c.ok() {
		return
	}
	srcStage, srcAccess := src.flags(true)
	dstStage, dstAccess := dst.flags(false)
	if srcStage == 0 || dstStage == 0 {
		c.fail(fmt.Errorf("gpu: Barrier needs source and destination stages, got %#x and %#x", src, dst))
		return
	}
	c.cb.barrier(srcStage, srcAccess, dstStage, dstAccess)
	c.counts.Barriers++
}

// flags returns the Vulkan stage mask of s and its access mask: writes
// only for a barrier's source, reads and writes for its destination.
func (s Stage) flags(src bool) (stage, access uint32) {
	if s&Compute != 0 {
		stage |= vkStageComputeShader
		access |= vkAccessShaderWrite
		if !src {
			access |= vkAccessShaderRead
		}
	}
	if s&Transfer != 0 {
		stage |= vkStageTransfer
		access |= vkAccessTransferWrite
		if !src {
			access |= vkAccessTransferRead
		}
	}
	return stage, access
}

// Copy records a copy of size bytes from src at srcOff to dst at dstOff.
func (c *Commands) Copy(dst *Buffer, dstOff int64, src *Buffer, srcOff int64, size int64) {
	if !c.ok() {
		return
	}
	if err := c.checkRange(dst, dstOff, size); err != nil {
		c.fail(fmt.Errorf("%w (Copy destination)", err))
		return
	}
	if err := c.checkRange(src, srcOff, size); err != nil {
		c.fail(fmt.Errorf("%w (Copy source)", err))
		return
	}
	if src == dst && srcOff < dstOff+size && dstOff < srcOff+size {
		c.fail(fmt.Errorf("gpu: Copy between overlapping ranges of one buffer"))
		return
	}
	c.cb.copy(src.handle, dst.handle, uint64(srcOff), uint64(dstOff), uint64(size))
}

// Fill records setting size bytes of dst from off to the 32-bit value;
// off and size must be multiples of 4.
func (c *Commands) Fill(dst *Buffer, off, size int64, value uint32) {
	if !c.ok() {
		return
	}
	if err := c.checkRange(dst, off, size); err != nil {
		c.fail(fmt.Errorf("%w (Fill)", err))
		return
	}
	if off%4 != 0 || size%4 != 0 {
		c.fail(fmt.Errorf("gpu: Fill of %d bytes at %d: both must be multiples of 4", size, off))
		return
	}
	c.cb.fill(dst.handle, uint64(off), uint64(size), value)
}

func (c *Commands) checkRange(b *Buffer, off, size int64) error {
	if b == nil || b.dev != c.dev {
		return fmt.Errorf("gpu: a closed buffer or one from another device")
	}
	if size <= 0 || off < 0 || off+size > b.size {
		return fmt.Errorf("gpu: bytes [%d, %d) do not fit a buffer of %d bytes", off, off+size, b.size)
	}
	return nil
}

// End finishes the recording. It returns the first error a recording
// method met since Begin; the buffer then cannot be submitted until it is
// recorded again.
func (c *Commands) End() error {
	if !c.recording {
		return fmt.Errorf("gpu: End without Begin")
	}
	src, access := (Compute | Transfer).flags(true)
	c.cb.barrier(src, access, vkStageHost, vkAccessHostRead)
	err := c.cb.end()
	c.recording = false
	if c.err != nil {
		return c.err
	}
	if err != nil {
		return fmt.Errorf("gpu: %w", err)
	}
	c.recorded = true
	return nil
}

// ok reports whether recording methods may record. A call outside a
// recording is reported by the next Begin.
func (c *Commands) ok() bool {
	if !c.recording && c.stray == nil {
		c.stray = errors.New("gpu: a recording method was called outside Begin and End")
	}
	return c.recording && c.err == nil
}

func (c *Commands) fail(err error) {
	if c.err == nil {
		c.err = err
	}
}

// Submit queues the recorded commands and returns without waiting. If the
// previous submission is still pending, it waits for that one first.
func (c *Commands) Submit() error {
	if err := c.dev.Usable(); err != nil {
		return err
	}
	if !c.recorded {
		if c.err != nil {
			return fmt.Errorf("gpu: Submit of a failed recording: %w", c.err)
		}
		return fmt.Errorf("gpu: Submit before a successful End")
	}
	if err := c.Wait(); err != nil {
		return err
	}
	err := injected(faults.Submit())
	if err == nil {
		err = c.cb.submit()
	}
	if err != nil {
		return c.dev.failed(err)
	}
	c.dev.submits++
	c.pending = true
	return nil
}

// Wait blocks until the last submission finishes. It returns at once when
// nothing is pending.
func (c *Commands) Wait() error {
	if !c.pending {
		return nil
	}
	if s := c.signal; s != nil {
		// Submitted in a group: the group's last buffer holds the fence.
		c.pending, c.signal = false, nil
		if err := s.Wait(); err != nil {
			return err
		}
		c.ran = true
		return nil
	}
	if err := c.cb.wait(waitTimeout); err != nil {
		c.pending = false // a failed wait never succeeds later; Close must not wait again
		return c.dev.failed(err)
	}
	c.pending, c.ran = false, true
	return nil
}

// Run submits the commands and waits for them.
func (c *Commands) Run() error {
	if err := c.Submit(); err != nil {
		return err
	}
	return c.Wait()
}

// GPUTime is how long the device took for the last completed submission,
// measured with timestamps at its start and end.
func (c *Commands) GPUTime() (time.Duration, error) {
	if !c.timestamps {
		return 0, fmt.Errorf("gpu: %s has no timestamp queries on its compute queue", c.dev.phys.info.Name)
	}
	if !c.ran {
		return 0, fmt.Errorf("gpu: GPUTime before a submission completed")
	}
	start, end, err := c.cb.timestamps()
	if err != nil {
		return 0, fmt.Errorf("gpu: %w", err)
	}
	ticks := end - start
	if bits := c.dev.phys.families[c.dev.phys.family].timestampBits; bits < 64 {
		ticks &= 1<<bits - 1
	}
	return time.Duration(float64(ticks) * c.dev.phys.info.TimestampPeriod), nil
}

// Close waits for a pending submission and frees the command buffer.
func (c *Commands) Close() error {
	if c == nil || c.dev == nil {
		return nil
	}
	err := c.Wait()
	c.release()
	return err
}

func (c *Commands) release() {
	c.cb.destroy()
	c.dev.forget(c)
	c.dev = nil
}

// Groups is the number of workgroups of size threads that covers n items.
func Groups(n, size int) int { return (n + size - 1) / size }
