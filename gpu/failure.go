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

// fail records err, the failure of what the program was doing, and
// returns the program's error from now on. (What survives, and how to go
// on, is the caller's to say: the train CLI adds where its checkpoints
// are, for any error IsDeviceFailure reports.)
func (p *program) fail(what string, err error) error {
	if p.err != nil {
		return p.err
	}
	var de *vk.DeviceError
	switch {
	case errors.Is(err, vk.ErrDeviceLost):
		p.err = fmt.Errorf("gpu: %s: %w", what, err)
	case errors.As(err, &de):
		p.err = fmt.Errorf("gpu: %s: %w; reduce the batch size or the model, or free the GPU's memory "+
			"(other processes may hold it)", what, err)
	default:
		p.err = fmt.Errorf("gpu: %s: %w", what, err)
	}
	return p.err
}

// IsDeviceFailure reports whether err says the device itself failed while
// running work (it was lost, or ran out of memory mid-run), wherever that
// happened: everything the device held is gone, and a fresh process must
// start over from what was saved.
func IsDeviceFailure(err error) bool {
	var de *vk.DeviceError
	return errors.As(err, &de)
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
