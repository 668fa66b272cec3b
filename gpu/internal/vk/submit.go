package vk

import (
	"fmt"
	"slices"

	"github.com/anvil-ml/anvil/internal/faults"
)

// Submissions: several recordings in one vkQueueSubmit, and what a failed
// submission or wait means for the device.

// maxGroup is the most command buffers SubmitGroup takes (the C helper's
// ANV_MAX_GROUP).
const maxGroup = 32

// SubmitGroup queues cmds, in order, in one queue submission and returns
// without waiting; waiting for any of them waits for the whole group. Each
// must be recorded; one still pending from an earlier submission is waited
// for first.
func SubmitGroup(cmds ...*Commands) error {
	if len(cmds) == 0 || len(cmds) > maxGroup {
		return fmt.Errorf("gpu: SubmitGroup of %d command buffers; it takes 1 to %d", len(cmds), maxGroup)
	}
	last := cmds[len(cmds)-1]
	if err := last.dev.Usable(); err != nil {
		return err
	}
	first := make([]commandBuffer, 0, len(cmds)-1)
	for i, c := range cmds {
		switch {
		case c.dev != last.dev:
			return fmt.Errorf("gpu: SubmitGroup of command buffers from different devices")
		case !c.recorded:
			return fmt.Errorf("gpu: SubmitGroup: command buffer %d has no successful recording", i)
		case i > 0 && slices.Contains(cmds[:i], c):
			return fmt.Errorf("gpu: SubmitGroup: command buffer %d appears twice", i)
		}
		if err := c.Wait(); err != nil {
			return err
		}
		if i < len(cmds)-1 {
			first = append(first, c.cb)
		}
	}
	err := injected(faults.Submit())
	if err == nil {
		err = last.cb.submitAfter(first)
	}
	if err != nil {
		return last.dev.failed(err)
	}
	last.dev.submits++
	for _, c := range cmds {
		c.pending, c.signal = true, last
	}
	last.signal = nil
	return nil
}

// injected is the Vulkan error a fault injected by a test stands for.
func injected(k faults.Kind) error {
	switch k {
	case faults.DeviceLost:
		return &VkError{Call: "vkQueueSubmit", Result: vkErrorDeviceLost}
	case faults.OutOfMemory:
		return &VkError{Call: "vkQueueSubmit", Result: vkErrorOutOfDeviceMemory}
	}
	return nil
}

// failed wraps the error of a submission or a wait. A lost device is
// remembered, so that everything after it fails at once instead of
// waiting on a device that will never answer.
func (d *Device) failed(err error) error {
	switch {
	case isResult(err, vkErrorDeviceLost):
		d.lost = &DeviceError{Device: d.phys.info.Name, Err: err, Lost: true}
		return d.lost
	case isResult(err, vkErrorOutOfDeviceMemory) || isResult(err, vkErrorOutOfHostMemory):
		return &DeviceError{Device: d.phys.info.Name, Err: err}
	}
	return fmt.Errorf("gpu: %w", err)
}
