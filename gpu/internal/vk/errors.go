package vk

import (
	"errors"
	"fmt"
)

// ErrUnavailable is wrapped by every error that means "this machine cannot
// run the Vulkan backend": built without cgo, no Vulkan loader, no driver or
// no usable device. Callers fall back to the CPU backend when
// errors.Is(err, ErrUnavailable).
var ErrUnavailable = errors.New("gpu: Vulkan is unavailable")

// VkError reports a Vulkan call that did not return VK_SUCCESS.
type VkError struct {
	Call   string // the Vulkan function, e.g. "vkAllocateMemory"
	Result int32  // the VkResult
}

func (e *VkError) Error() string { return e.Call + ": " + resultName(e.Result) }

// Vulkan result codes the package treats specially.
const (
	vkTimeout                   = 2
	vkErrorOutOfHostMemory      = -1
	vkErrorOutOfDeviceMemory    = -2
	vkErrorInitializationFailed = -3
	vkErrorDeviceLost           = -4
	vkErrorLayerNotPresent      = -6
	vkErrorExtensionNotPresent  = -7
	vkErrorIncompatibleDriver   = -9
	vkErrorOutOfPoolMemory      = -1000069000
	vkErrorFragmentedPool       = -12
)

var resultNames = map[int32]string{
	0:                           "VK_SUCCESS",
	1:                           "VK_NOT_READY",
	vkTimeout:                   "VK_TIMEOUT",
	5:                           "VK_INCOMPLETE",
	vkErrorOutOfHostMemory:      "VK_ERROR_OUT_OF_HOST_MEMORY",
	vkErrorOutOfDeviceMemory:    "VK_ERROR_OUT_OF_DEVICE_MEMORY",
	vkErrorInitializationFailed: "VK_ERROR_INITIALIZATION_FAILED",
	vkErrorDeviceLost:           "VK_ERROR_DEVICE_LOST",
	-5:                          "VK_ERROR_MEMORY_MAP_FAILED",
	vkErrorLayerNotPresent:      "VK_ERROR_LAYER_NOT_PRESENT",
	vkErrorExtensionNotPresent:  "VK_ERROR_EXTENSION_NOT_PRESENT",
	-8:                          "VK_ERROR_FEATURE_NOT_PRESENT",
	vkErrorIncompatibleDriver:   "VK_ERROR_INCOMPATIBLE_DRIVER",
	-10:                         "VK_ERROR_TOO_MANY_OBJECTS",
	-11:                         "VK_ERROR_FORMAT_NOT_SUPPORTED",
	vkErrorFragmentedPool:       "VK_ERROR_FRAGMENTED_POOL",
	-13:                         "VK_ERROR_UNKNOWN",
	vkErrorOutOfPoolMemory:      "VK_ERROR_OUT_OF_POOL_MEMORY",
	-1000072003:                 "VK_ERROR_INVALID_EXTERNAL_HANDLE",
	-1000161000:                 "VK_ERROR_FRAGMENTATION",
	-1000257000:                 "VK_ERROR_INVALID_OPAQUE_CAPTURE_ADDRESS",
	-1000012000:                 "VK_ERROR_INVALID_SHADER_NV",
}

func resultName(r int32) string {
	if n, ok := resultNames[r]; ok {
		return n
	}
	return fmt.Sprintf("VkResult(%d)", r)
}

// isResult reports whether err is a VkError with result r.
func isResult(err error, r int32) bool {
	var ve *VkError
	return errors.As(err, &ve) && ve.Result == r
}

// OutOfMemoryError says that a buffer did not fit in the device's memory.
type OutOfMemoryError struct {
	Device    string // device name
	Requested uint64 // bytes the failing buffer asked for
	InUse     uint64 // bytes Anvil already holds in that memory heap
	HeapSize  uint64 // bytes the heap has in all
	Host      bool   // the heap is host memory rather than device-local memory
	Err       error  // the failing Vulkan call, if the driver refused
}

// Unwrap returns the Vulkan error behind e, if any.
func (e *OutOfMemoryError) Unwrap() error { return e.Err }

func (e *OutOfMemoryError) Error() string {
	what := "device"
	if e.Host {
		what = "host-visible"
	}
	return fmt.Sprintf("gpu: out of %s memory on %s: a buffer asked for %d bytes (%s) while %s of the %s heap is in use; "+
		"reduce the batch size or the model size", what, e.Device, e.Requested, FormatBytes(e.Requested),
		FormatBytes(e.InUse), FormatBytes(e.HeapSize))
}

// ErrDeviceLost is wrapped by every error that reports a lost device
// (VK_ERROR_DEVICE_LOST): the GPU hung, was reset or went away, and with
// it everything the device held.
var ErrDeviceLost = errors.New("gpu: the Vulkan device was lost")

// DeviceError reports a submission or a wait that failed for the device as
// a whole: it was lost, or ran out of memory while running work.
type DeviceError struct {
	Device string // device name
	Err    error  // the failing Vulkan call
	Lost   bool   // VK_ERROR_DEVICE_LOST; otherwise out of memory
}

// Unwrap returns the Vulkan error behind e and, for a lost device,
// ErrDeviceLost.
func (e *DeviceError) Unwrap() []error {
	if e.Lost {
		return []error{e.Err, ErrDeviceLost}
	}
	return []error{e.Err}
}

func (e *DeviceError) Error() string {
	if e.Lost {
		return fmt.Sprintf("gpu: the device %s was lost (%v): it hung, was reset or went away, and refuses all further work",
			e.Device, e.Err)
	}
	return fmt.Sprintf("gpu: %s ran out of memory while running work (%v)", e.Device, e.Err)
}

// FormatBytes renders n with a binary unit, e.g. "1.5 GiB", as errors do.
func FormatBytes(n uint64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	v, i := float64(n), -1
	for v >= unit && i < 4 {
		v /= unit
		i++
	}
	return fmt.Sprintf("%.1f %ciB", v, "KMGTP"[i])
}
