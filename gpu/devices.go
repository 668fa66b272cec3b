package gpu

import "github.com/anvil-ml/anvil/gpu/internal/vk"

// The device-level names users and package backend need. They are defined
// by the Vulkan toolkit in internal/vk; the backend re-exports them so that
// no user imports the toolkit.

// Options choose and configure the device NewBackend opens: Device names it
// by index, name substring or "lavapipe"; Validation turns on the Khronos
// validation layer.
type Options = vk.Options

// Info describes one physical device.
type Info = vk.Info

// DeviceType is the kind of a physical device.
type DeviceType = vk.DeviceType

// Version is a packed Vulkan version number.
type Version = vk.Version

// The device types, as Vulkan numbers them.
const (
	OtherDevice      = vk.OtherDevice
	IntegratedDevice = vk.IntegratedDevice
	DiscreteDevice   = vk.DiscreteDevice
	VirtualDevice    = vk.VirtualDevice
	CPUDevice        = vk.CPUDevice
)

// ErrUnavailable is wrapped by every error that means "this machine cannot
// run the Vulkan backend": built without cgo, no Vulkan loader, no driver or
// no usable device. Callers fall back to the CPU backend when
// errors.Is(err, ErrUnavailable).
var ErrUnavailable = vk.ErrUnavailable

// OutOfMemoryError says that a plan's buffer did not fit in the device's
// memory; Compile returns it wrapped.
type OutOfMemoryError = vk.OutOfMemoryError

// ErrDeviceLost is wrapped by the error of every call after the device was
// lost (VK_ERROR_DEVICE_LOST) while running a program.
var ErrDeviceLost = vk.ErrDeviceLost

// Devices lists the physical devices Vulkan reports, usable or not.
func Devices() ([]Info, error) { return vk.Devices() }
