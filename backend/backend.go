// Package backend is the one place that knows every backend: it picks the
// one a user asks for, or the best one this machine has.
package backend

import (
	"fmt"
	"io"

	"github.com/anvil-ml/anvil/cpuref"
	"github.com/anvil-ml/anvil/tensor"
)

// vulkan opens the Vulkan backend on the named device ("" picks the best);
// it is set by the file that links the GPU backend in.
var vulkan func(device string, allowCPUDevice bool) (tensor.Backend, error)

// Select returns the backend called name: "cpu", "vulkan" or "auto".
// "auto" takes a Vulkan GPU when one is usable (a CPU Vulkan driver such as
// lavapipe counts only when named with device) and otherwise the CPU,
// writing a one-line notice to log.
func Select(name, device string, log io.Writer) (tensor.Backend, error) {
	switch name {
	case "cpu":
		return cpuref.New(), nil
	case "vulkan":
		if vulkan == nil {
			return nil, fmt.Errorf("backend vulkan: this build has no Vulkan backend; use -backend cpu")
		}
		b, err := vulkan(device, true)
		if err != nil {
			return nil, fmt.Errorf("backend vulkan: %w (use -backend cpu to run without a GPU)", err)
		}
		return b, nil
	case "auto", "":
		if vulkan != nil {
			b, err := vulkan(device, device != "")
			if err == nil {
				return b, nil
			}
			fmt.Fprintf(log, "no usable Vulkan GPU (%v); running on the CPU\n", err)
		} else {
			fmt.Fprintln(log, "no Vulkan backend in this build; running on the CPU")
		}
		return cpuref.New(), nil
	}
	return nil, fmt.Errorf("unknown backend %q (use auto, cpu or vulkan)", name)
}
