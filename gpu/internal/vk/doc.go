// Package vk is the Vulkan toolkit under Anvil's GPU backend (package gpu):
// a thin binding over a C helper that loads libvulkan at run time, and a
// small Go API on top of it. It knows nothing of plans, ops or kernels.
//
// The pieces, one file each:
//   - Device (device.go): Open picks and opens a physical device; Devices lists them.
//   - Buffer (buffer.go, memory.go): storage buffers sub-allocated from a few
//     large memory blocks, with Write and Read helpers.
//   - Pipeline and DescriptorSet (pipeline.go, descriptors.go): a compute
//     shader from package shaders with its bindings, push constants and
//     specialization constants.
//   - Commands (commands.go): a command buffer recorded once (dispatches,
//     barriers, copies) and replayed with Run, optionally timed on the GPU.
//   - The binding (driver.go, vk_cgo.go over vk.c and vk.h; vk_stub.go
//     without cgo) with one Vulkan instance per process (see Open).
//
// A typical program:
//
//	dev, err := vk.Open(vk.Options{})
//	x, _ := dev.NewBuffer(4*n, vk.DeviceMemory)
//	y, _ := dev.NewBuffer(4*n, vk.DeviceMemory)
//	axpy, _ := dev.NewPipeline(vk.PipelineSpec{Shader: "axpy", Bindings: 2, PushBytes: 8, Constants: []uint32{64}})
//	set, _ := axpy.Bind(x, y)
//	cmds, _ := dev.NewCommands()
//	cmds.Begin()
//	cmds.Dispatch(set, vk.Push{}.Uint32(uint32(n)).Float32(2), vk.Groups(n, 64), 1, 1)
//	cmds.End()
//	cmds.Run() // as often as needed
//
// Values recorded into a command buffer, push constants included, are fixed
// at recording time. Values that change every replay belong in a HostMemory
// buffer the host writes before Run.
//
// Without cgo, or on a machine without a Vulkan loader or device, Open
// returns an error wrapping ErrUnavailable.
//
// Environment:
//   - ANVIL_DEVICE selects a device by index or name substring.
//   - ANVIL_VK_VALIDATION=1 enables the Khronos validation layer with
//     synchronization validation; ValidationMessages returns its warnings
//     and errors.
//   - ANVIL_VK_LOADER is the path of the Vulkan loader library to dlopen
//     instead of libvulkan.so.1.
//   - VK_DRIVER_FILES, read by the Vulkan loader, restricts the drivers
//     (tests pin lavapipe with it; /nonexistent simulates no driver).
//   - ANVIL_REQUIRE_VULKAN=1 makes the tests fail, not skip, without Vulkan.
//
// A Device and everything made from it must be used from one goroutine at a
// time; different Devices may run at once from different
// goroutines. They share one Vulkan instance per process, created by the
// first Open and kept until the process exits.
package vk
