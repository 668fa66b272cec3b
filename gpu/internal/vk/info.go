package vk

import (
	"fmt"
	"strings"
)

// Info describes one physical device: what the CLI prints and what kernels
// may specialize on.
type Info struct {
	Index      int        // position in the Vulkan enumeration; ANVIL_DEVICE accepts it
	Name       string     // e.g. "NVIDIA H100 80GB HBM3", "llvmpipe (LLVM 15.0.6, 256 bits)"
	Vendor     string     // "NVIDIA", "AMD", "Intel", "Mesa", ... from the PCI vendor ID
	VendorID   uint32     // the raw vendor ID
	DeviceType DeviceType // discrete, integrated, virtual or cpu
	DriverName string     // e.g. "NVIDIA", "llvmpipe"; empty before Vulkan 1.2
	DriverInfo string     // the driver's version string; empty before Vulkan 1.2
	APIVersion Version    // the Vulkan version the device supports

	DeviceID      uint32 // the vendor's device ID
	DriverVersion uint32 // the driver's packed version number

	DeviceLocalMemory       uint64  // bytes in the largest device-local heap
	SubgroupSize            int     // invocations per subgroup (warp, wave)
	MaxSharedMemory         int     // bytes of shared memory per workgroup
	MaxWorkgroupInvocations int     // invocations per workgroup
	Float16                 bool    // shaderFloat16 and 16-bit storage buffers
	CooperativeMatrix       bool    // VK_KHR_cooperative_matrix is offered
	Timestamps              bool    // the compute queue supports timestamp queries
	TimestampPeriod         float64 // nanoseconds per timestamp tick

	// CooperativeMatrixNV: VK_NV_cooperative_matrix is usable from compute
	// shaders, and enabled on devices opened from this Info; CoopShapesNV
	// are the fragment shapes it offers (coopmat.go).
	CooperativeMatrixNV bool
	CoopShapesNV        []CoopShape

	// BufferAddress: bufferDeviceAddress (Vulkan 1.2 core) is supported,
	// and enabled on devices opened from this Info unless
	// Options.NoBufferAddress or ANVIL_VK_BUFFER_ADDRESS=0 turn it off
	// (Device.Info then says false). Shaders then reach buffers through
	// Buffer.Address as well as through bindings.
	BufferAddress bool
}

// String is a one-line summary for the CLI, e.g.
// "0: llvmpipe (LLVM 15.0.6, 256 bits) [Mesa cpu, Vulkan 1.3.230, llvmpipe Mesa 22.3.6, 2.0 GiB, subgroup 8, fp16]".
func (i Info) String() string {
	parts := []string{i.Vendor + " " + i.DeviceType.String(), "Vulkan " + i.APIVersion.String()}
	if i.DriverName != "" {
		parts = append(parts, strings.TrimSpace(i.DriverName+" "+i.DriverInfo))
	}
	parts = append(parts, FormatBytes(i.DeviceLocalMemory), fmt.Sprintf("subgroup %d", i.SubgroupSize))
	if i.Float16 {
		parts = append(parts, "fp16")
	}
	if i.CooperativeMatrix {
		parts = append(parts, "coopmat")
	}
	if i.CooperativeMatrixNV {
		parts = append(parts, fmt.Sprintf("NV coopmat %d shapes", len(i.CoopShapesNV)))
	}
	return fmt.Sprintf("%d: %s [%s]", i.Index, i.Name, strings.Join(parts, ", "))
}

// DeviceType is the kind of a physical device.
type DeviceType int

// The device types, as Vulkan numbers them.
const (
	OtherDevice      DeviceType = vkPhysicalDeviceTypeOther
	IntegratedDevice DeviceType = vkPhysicalDeviceTypeIntegratedGPU
	DiscreteDevice   DeviceType = vkPhysicalDeviceTypeDiscreteGPU
	VirtualDevice    DeviceType = vkPhysicalDeviceTypeVirtualGPU
	CPUDevice        DeviceType = vkPhysicalDeviceTypeCPU
)

func (t DeviceType) String() string {
	switch t {
	case IntegratedDevice:
		return "integrated"
	case DiscreteDevice:
		return "discrete"
	case VirtualDevice:
		return "virtual"
	case CPUDevice:
		return "cpu"
	}
	return "other"
}

// rank orders device types for automatic selection: higher is preferred.
func (t DeviceType) rank() int {
	switch t {
	case DiscreteDevice:
		return 4
	case IntegratedDevice:
		return 3
	case VirtualDevice:
		return 2
	case CPUDevice:
		return 1
	}
	return 0
}

// Version is a packed Vulkan version number.
type Version uint32

// Major, Minor and Patch unpack the version (VK_API_VERSION_* macros).
func (v Version) Major() int { return int(v>>22) & 0x7f }
func (v Version) Minor() int { return int(v>>12) & 0x3ff }
func (v Version) Patch() int { return int(v) & 0xfff }

func (v Version) String() string { return fmt.Sprintf("%d.%d.%d", v.Major(), v.Minor(), v.Patch()) }

// atLeast reports whether v is major.minor or later.
func (v Version) atLeast(major, minor int) bool {
	return v.Major() > major || v.Major() == major && v.Minor() >= minor
}

var vendors = map[uint32]string{
	0x10de:  "NVIDIA",
	0x1002:  "AMD",
	0x1022:  "AMD",
	0x8086:  "Intel",
	0x13b5:  "ARM",
	0x5143:  "Qualcomm",
	0x106b:  "Apple",
	0x1010:  "Imagination",
	0x14e4:  "Broadcom",
	0x1ae0:  "Google",
	0x10005: "Mesa",
	0x10004: "Codeplay",
}

// vendorName names a PCI or Khronos vendor ID.
func vendorName(id uint32) string {
	if n, ok := vendors[id]; ok {
		return n
	}
	return fmt.Sprintf("vendor 0x%x", id)
}
