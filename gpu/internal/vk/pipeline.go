package vk

import (
	"encoding/binary"
	"fmt"

	"github.com/anvil-ml/anvil/shaders"
)

// Limits every device meets: the most push-constant bytes Vulkan
// guarantees, and the sizes of the C helper's fixed arrays.
const (
	maxPushBytes = 128
	maxBindings  = 64
	maxConstants = 64
)

// PipelineSpec describes a compute pipeline.
type PipelineSpec struct {
	// Shader names a shader in package shaders, e.g. "axpy".
	Shader string
	// Code is SPIR-V to use instead of a named shader (tests, experiments).
	Code []byte
	// Bindings is the number of storage buffers, at set 0, bindings 0..n-1.
	Bindings int
	// PushBytes is the size of the std430 push-constant block, a multiple of
	// 4 and at most 128.
	PushBytes int
	// Constants are the specialization constants: constant_id i gets
	// Constants[i] (a uint, an int, or a float's bits via math.Float32bits).
	// By the shaders' convention Constants[0] is the workgroup size.
	Constants []uint32
}

// Pipeline is a compiled compute shader with its descriptor set layout and
// push-constant range.
type Pipeline struct {
	dev  *Device
	h    pipelineHandles
	spec PipelineSpec
}

// NewPipeline compiles spec's shader for the device.
func (d *Device) NewPipeline(spec PipelineSpec) (*Pipeline, error) {
	if err := d.Usable(); err != nil {
		return nil, err
	}
	code, err := spec.code()
	if err != nil {
		return nil, err
	}
	if err := d.checkSpec(spec); err != nil {
		return nil, fmt.Errorf("gpu: pipeline %q: %w", spec.name(), err)
	}
	h, err := d.drv.createPipeline(code, spec.Bindings, spec.PushBytes, spec.Constants)
	if err != nil {
		return nil, fmt.Errorf("gpu: pipeline %q: %w", spec.name(), err)
	}
	spec.Constants = append([]uint32(nil), spec.Constants...)
	p := &Pipeline{dev: d, h: h, spec: spec}
	d.track(p)
	return p, nil
}

// code returns the SPIR-V, checked to be whole words with the SPIR-V magic
// number: drivers may crash on anything else.
func (s PipelineSpec) code() ([]byte, error) {
	code := s.Code
	if code == nil {
		var err error
		if code, err = shaders.Lookup(s.Shader); err != nil {
			return nil, fmt.Errorf("gpu: %w", err)
		}
	}
	if len(code) < 20 || len(code)%4 != 0 || binary.LittleEndian.Uint32(code) != 0x07230203 {
		return nil, fmt.Errorf("gpu: pipeline %q: the code is not SPIR-V (%d bytes)", s.name(), len(code))
	}
	return code, nil
}

func (s PipelineSpec) name() string {
	if s.Shader == "" {
		return "(inline SPIR-V)"
	}
	return s.Shader
}

// checkSpec compares spec against the device's limits.
func (d *Device) checkSpec(s PipelineSpec) error {
	l := d.phys.limits
	switch {
	case s.Bindings < 0 || s.Bindings > min(maxBindings, l.maxStorageBuffers):
		return fmt.Errorf("%d bindings; the device allows 0 to %d", s.Bindings, min(maxBindings, l.maxStorageBuffers))
	case s.PushBytes < 0 || s.PushBytes%4 != 0 || s.PushBytes > min(maxPushBytes, l.maxPushConstants):
		return fmt.Errorf("push-constant block of %d bytes; it must be a multiple of 4 up to %d",
			s.PushBytes, min(maxPushBytes, l.maxPushConstants))
	case len(s.Constants) > maxConstants:
		return fmt.Errorf("%d specialization constants; at most %d", len(s.Constants), maxConstants)
	}
	return nil
}

// Spec returns the description the pipeline was made from.
func (p *Pipeline) Spec() PipelineSpec { return p.spec }

// Close releases the pipeline. Command buffers that use it must not run
// again; its descriptor sets stay valid until the device closes.
func (p *Pipeline) Close() error {
	if p == nil || p.dev == nil {
		return nil
	}
	p.release()
	return nil
}

func (p *Pipeline) release() {
	p.dev.drv.destroyPipeline(p.h)
	p.dev.forget(p)
	p.dev = nil
}

// UsePipelineCache gives the device a pipeline cache, seeded with data (a
// previous PipelineCacheData) when data was written by this device and
// driver; otherwise the cache starts empty and used is false. Pipelines
// made afterwards go through it, so pipelines the cache holds compile at
// once.
func (d *Device) UsePipelineCache(data []byte) (used bool, err error) {
	if err := d.Usable(); err != nil {
		return false, err
	}
	used, err = d.drv.createPipelineCache(data)
	if err != nil {
		return false, fmt.Errorf("gpu: creating the pipeline cache: %w", err)
	}
	return used, nil
}

// PipelineCacheData serializes the device's pipeline cache, for a later
// UsePipelineCache; nil when the device has none.
func (d *Device) PipelineCacheData() ([]byte, error) {
	if err := d.Usable(); err != nil {
		return nil, err
	}
	data, err := d.drv.pipelineCacheData()
	if err != nil {
		return nil, fmt.Errorf("gpu: reading the pipeline cache: %w", err)
	}
	return data, nil
}
