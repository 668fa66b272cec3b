package gpu

import (
	"fmt"

	"github.com/anvil-ml/anvil/gpu/internal/vk"
	"github.com/anvil-ml/anvil/tensor"
)

// Backend is the Vulkan implementation of tensor.Backend: it compiles a
// Plan into pipelines, device buffers and one recorded command buffer per
// routine, which every step replays.
//
// A Backend holds one opened Vulkan device of its own. It and the programs
// it compiles must be used from one goroutine at a time; two Backends may
// train at once from two goroutines.
type Backend struct {
	dev *vk.Device
}

// NewBackend opens the device opts selects, on the process's one Vulkan
// instance (created on first use, never destroyed, so backends can be
// opened and closed any number of times). The error wraps ErrUnavailable
// when this machine has no usable Vulkan device.
func NewBackend(opts Options) (*Backend, error) {
	dev, err := vk.Open(opts)
	if err != nil {
		return nil, err
	}
	attachTuner(dev)
	return &Backend{dev: dev}, nil
}

// Name implements tensor.Backend.
func (b *Backend) Name() string { return "vulkan" }

// Device implements tensor.Backend: the device's one-line description.
func (b *Backend) Device() string { return b.dev.Info().String() }

// Info describes the device the backend runs on.
func (b *Backend) Info() Info { return b.dev.Info() }

// ValidationMessages returns the validation layer's warnings and errors
// recorded since the last call and forgets them (see Options.Validation).
// Messages are collected per process: with several backends open at once,
// a call returns those of all of them. Tests assert it returns nothing.
func (b *Backend) ValidationMessages() []string { return b.dev.ValidationMessages() }

// Compile implements tensor.Backend.
func (b *Backend) Compile(plan *tensor.Plan) (tensor.Program, error) {
	if err := b.dev.Usable(); err != nil {
		return nil, err
	}
	// A plan that validates is checked against the free memory before
	// anything is allocated; compileProgram reports an invalid one.
	if plan != nil && plan.Validate() == nil {
		if err := checkPlanMemory(b.dev, plan); err != nil {
			return nil, err
		}
	}
	p, err := compileProgram(b.dev, plan)
	if err != nil {
		return nil, err // not a typed nil inside the interface
	}
	return p, nil
}

// MaxBufferBytes implements tensor.BufferLimiter: the largest buffer a
// plan may hold, which decides whether Fit keeps a dataset resident or
// streams it in chunks. It is the least of what one shader binding reaches
// (maxStorageBufferRange: 128 MiB on lavapipe, 4 GiB on most GPUs), the
// largest single allocation, and half the device-local memory, so that a
// resident dataset leaves room for the model and its activations.
func (b *Backend) MaxBufferBytes() int64 {
	l := b.dev.Limits()
	limit := b.dev.Info().DeviceLocalMemory / 2
	for _, v := range []uint64{l.MaxStorageRange, l.MaxAllocation} {
		if v > 0 && (limit == 0 || v < limit) {
			limit = v
		}
	}
	return int64(min(limit, 1<<62))
}

// Close releases the device and every program compiled on it; those
// programs must not be used afterwards.
func (b *Backend) Close() error {
	if b == nil || b.dev == nil {
		return nil
	}
	detachTuner(b.dev)
	err := b.dev.Close()
	if err != nil {
		return fmt.Errorf("gpu: closing the backend: %w", err)
	}
	return nil
}
