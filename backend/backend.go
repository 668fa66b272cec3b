// Package backend is the one place that knows every backend: it picks the
// one a user asks for, or the best one this machine has. Importing it (even
// as _) also makes the CPU backend the default of package nn, for models
// that are given no backend with Model.SetBackend.
package backend

import (
	"fmt"
	"io"

	"github.com/anvil-ml/anvil/cpuref"
	"github.com/anvil-ml/anvil/nn"
	"github.com/anvil-ml/anvil/tensor"
)

// The CPU backend is the default: it runs everywhere and is the
// correctness reference; a GPU is used only when asked for (Select).
func init() { nn.SetDefaultBackend(openCPU) }

func openCPU() tensor.Backend { return cpuref.New() }

// Select returns the backend called name: "cpu", "vulkan" or "auto".
// "auto" takes a Vulkan GPU when one is usable (a CPU Vulkan driver such as
// lavapipe counts only when named with device) and otherwise the CPU,
// writing a one-line notice to log.
func Select(name, device string, log io.Writer) (tensor.Backend, error) {
	switch name {
	case "cpu":
		return cpuref.New(), nil
	case "vulkan":
		b, err := openVulkan(device, true)
		if err != nil {
			return nil, fmt.Errorf("backend vulkan: %w (use -backend cpu to run without a GPU)", err)
		}
		return b, nil
	case "auto", "":
		b, err := openVulkan(device, device != "")
		if err == nil {
			return b, nil
		}
		fmt.Fprintf(log, "no usable Vulkan GPU (%v); running on the CPU\n", err)
		return cpuref.New(), nil
	}
	return nil, fmt.Errorf("unknown backend %q (use auto, cpu or vulkan)", name)
}
