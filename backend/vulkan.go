package backend

import (
	"fmt"
	"os"

	"github.com/anvil-ml/anvil/gpu"
	"github.com/anvil-ml/anvil/tensor"
)

// openVulkan opens the Vulkan backend on device ("" picks the best). The
// Vulkan backend is always linked in; without cgo, or on a machine without
// Vulkan, opening it fails with an error that wraps gpu.ErrUnavailable and
// Select falls back as it says. A CPU
// Vulkan driver such as lavapipe is refused unless allowCPUDevice is set or
// the user named the device (argument or ANVIL_DEVICE): it runs the
// kernels, but far slower than the CPU backend.
func openVulkan(device string, allowCPUDevice bool) (tensor.Backend, error) {
	b, err := gpu.NewBackend(gpu.Options{Device: device})
	if err != nil {
		return nil, err
	}
	info := b.Info()
	if info.DeviceType == gpu.CPUDevice && !allowCPUDevice && device == "" && os.Getenv("ANVIL_DEVICE") == "" {
		b.Close()
		return nil, fmt.Errorf("%w: %s, the best Vulkan device here, is a CPU driver, not a usable GPU "+
			"(name it with -device or ANVIL_DEVICE to use it anyway)", gpu.ErrUnavailable, info.Name)
	}
	return b, nil
}
