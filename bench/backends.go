package main

import (
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/anvil-ml/anvil/backend"
	"github.com/anvil-ml/anvil/gpu"
	"github.com/anvil-ml/anvil/tensor"
)

// target is one backend the suite runs on.
type target struct {
	Label   string // short name for the tables: "cpu", "vulkan:llvmpipe"
	Kind    string // "cpu" or "vulkan"
	Device  string // the backend's own description of its hardware
	Backend tensor.Backend
}

// discovery finds the backends to run. Its two calls are fields so that
// tests can stand in for a machine with (or without) a Vulkan backend.
type discovery struct {
	lavapipe bool
	devices  func() ([]gpu.Info, error)
	open     func(name, device string, log io.Writer) (tensor.Backend, error)
}

func newDiscovery(lavapipe bool) discovery {
	return discovery{lavapipe: lavapipe, devices: gpu.Devices, open: selectBackend}
}

// run returns the CPU backend, then every Vulkan device that opens, and
// the notes that say why other devices give no rows. Only a failing CPU
// backend is an error.
func (d discovery) run(log io.Writer) ([]target, []string, error) {
	cpu, err := d.open("cpu", "", log)
	if err != nil {
		return nil, nil, fmt.Errorf("cpu backend: %w", err)
	}
	targets := []target{{Label: "cpu", Kind: "cpu", Device: cpu.Device(), Backend: cpu}}
	devs, err := d.devices()
	if err != nil {
		return targets, []string{fmt.Sprintf("no Vulkan rows: %v", err)}, nil
	}
	var notes []string
	for _, info := range devs {
		t, note := d.vulkan(info, log)
		if note != "" {
			notes = append(notes, note)
			continue
		}
		targets = append(targets, t)
	}
	if len(devs) == 0 {
		notes = append(notes, "no Vulkan rows: the Vulkan loader lists no device")
	}
	return targets, notes, nil
}

// vulkan opens one device, or says why it gives no rows.
func (d discovery) vulkan(info gpu.Info, log io.Writer) (target, string) {
	if info.DeviceType == gpu.CPUDevice && !d.lavapipe {
		return target{}, fmt.Sprintf("Vulkan device %d %q is a CPU driver: skipped (pass -lavapipe to include it)", info.Index, info.Name)
	}
	b, err := d.open("vulkan", strconv.Itoa(info.Index), log)
	if err != nil {
		return target{}, fmt.Sprintf("no rows for Vulkan device %d %q: %v", info.Index, info.Name, err)
	}
	return target{Label: "vulkan:" + shortDeviceName(info.Name), Kind: "vulkan", Device: b.Device(), Backend: b}, ""
}

// shortDeviceName keeps a device name short enough for a table column:
// "llvmpipe (LLVM 15.0.6, 256 bits)" becomes "llvmpipe".
func shortDeviceName(name string) string {
	if i := strings.Index(name, " ("); i > 0 {
		name = name[:i]
	}
	name = strings.TrimPrefix(name, "NVIDIA ")
	name = strings.ReplaceAll(name, " ", "-")
	if len(name) > 20 {
		name = name[:20]
	}
	return name
}

// selectBackend is backend.Select, seen as a plain tensor.Backend.
func selectBackend(name, device string, log io.Writer) (tensor.Backend, error) {
	return backend.Select(name, device, log)
}
