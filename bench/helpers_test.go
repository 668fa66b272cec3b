package main

import (
	"errors"
	"io"
	"time"

	"github.com/anvil-ml/anvil/cpuref"
	"github.com/anvil-ml/anvil/gpu"
	"github.com/anvil-ml/anvil/tensor"
)

// fakeGPU stands in for a Vulkan backend: the CPU backend under another
// name, whose programs report a device time, so that the GPU paths of the
// suite (extra rows, ratios, device columns) run without a GPU.
type fakeGPU struct{ tensor.Backend }

func (fakeGPU) Name() string   { return "vulkan" }
func (fakeGPU) Device() string { return "Fake GPU (test)" }

func (f fakeGPU) Compile(p *tensor.Plan) (tensor.Program, error) {
	prog, err := f.Backend.Compile(p)
	if err != nil {
		return nil, err
	}
	return fakeProgram{prog}, nil
}

type fakeProgram struct{ tensor.Program }

func (fakeProgram) GPUTime() (time.Duration, error) { return time.Microsecond, nil }

// fakeDiscovery finds the CPU backend and one fake GPU.
func fakeDiscovery() discovery {
	return discovery{
		devices: func() ([]gpu.Info, error) {
			return []gpu.Info{{Index: 0, Name: "Fake GPU (test)", DeviceType: gpu.DiscreteDevice}}, nil
		},
		open: func(name, device string, log io.Writer) (tensor.Backend, error) {
			if name == "vulkan" {
				return fakeGPU{cpuref.New()}, nil
			}
			return cpuref.New(), nil
		},
	}
}

// noVulkanDiscovery is a build without the Vulkan backend on a machine
// with lavapipe: what this repository has today.
func noVulkanDiscovery(lavapipe bool) discovery {
	return discovery{
		lavapipe: lavapipe,
		devices: func() ([]gpu.Info, error) {
			return []gpu.Info{{Index: 0, Name: "llvmpipe (LLVM 15.0.6, 256 bits)", DeviceType: gpu.CPUDevice}}, nil
		},
		open: func(name, device string, log io.Writer) (tensor.Backend, error) {
			if name == "vulkan" {
				return nil, errors.New("backend vulkan: this build has no Vulkan backend; use -backend cpu")
			}
			return cpuref.New(), nil
		},
	}
}

// tinyScale keeps every kernel family but at sizes that run in
// milliseconds.
func tinyScale() scale {
	return scale{Squares: []int{16}, ModelBatches: []int{2}, ConvBatches: []int{2}, NormBatches: []int{2},
		LossBatches: []int{2}, AdamSize: 1000}
}
