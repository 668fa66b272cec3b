package gpu

import (
	"errors"
	"fmt"

	"github.com/anvil-ml/anvil/gpu/internal/vk"
	"github.com/anvil-ml/anvil/tensor"
)

// What a program does when the device fails under it: a submission or a
// wait that returns VK_ERROR_DEVICE_LOST, runs out of memory or times out
// leaves the program's buffers in an unknown state (the contract says which
// steps ran is unknown), so the program remembers the error and returns it
// from every later call instead of running on, or waiting on, a device that
// may never answer.

// resumeHint tells a user of the training CLI what survives a device
// failure: train writes a checkpoint after every epoch, before any of the
// next epoch's work reaches the device.
const resumeHint = "what the device held is gone, but checkpoints already written are intact: " +
	"continue from the last one with `train -resume DIR` (DIR being the run's -out folder)"

// fail records err, the failure of what the program was doing, and
// returns the program's error from now on.
func (p *program) fail(what string, err error) error {
	if p.err != nil {
		return p.err
	}
	var de *vk.DeviceError
	switch {
	case errors.Is(err, vk.ErrDeviceLost):
		p.err = fmt.Errorf("gpu: %s: %w; %s", what, err, resumeHint)
	case errors.As(err, &de):
		p.err = fmt.Errorf("gpu: %s: %w; reduce the batch size or the model, or free the GPU's memory "+
			"(other processes may hold it); %s", what, err, resumeHint)
	default:
		p.err = fmt.Errorf("gpu: %s: %w", what, err)
	}
	return p.err
}

// transferFailed reports a failed Write, Upload or Read of buffer id. A
// failure of the device itself (the staging copy's submission) ends the
// program as fail does; any other error is the caller's and passes.
func (p *program) transferFailed(verb string, id tensor.BufferID, err error) error {
	what := fmt.Sprintf("%s buffer %q", verb, p.plan.Buffers[id].Name)
	var de *vk.DeviceError
	if errors.As(err, &de) {
		return p.fail(what, err)
	}
	return fmt.Errorf("gpu: %s: %w", what, err)
}
