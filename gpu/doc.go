// Package gpu is Anvil's Vulkan backend: Backend implements tensor.Backend
// on a Vulkan device, running each op of a Plan as GLSL compute shaders
// from package shaders.
//
// The pieces:
//   - Backend (backend.go): opens a device (NewBackend; Devices lists them)
//     and compiles plans.
//   - program (executor.go): a compiled plan. Compile allocates every plan
//     buffer once, binds each op to its kernel and records one reusable
//     command buffer per routine, with a barrier only before an op that
//     depends on work since the last one (barriers.go). Run writes the step
//     arguments and replays it. Before binding, it fuses ops that need not
//     be dispatches of their own: a product's bias and elementwise
//     activation into its epilogue (fuse_epilogue.go), runs of optimizer
//     updates (kernel_optim_multi.go) and batch norm with a following ReLU
//     or LeakyReLU, both ways (fuse_bn.go); fused kernels compute the same
//     float32 operations as the ops they replace. RecordedCounts reports
//     each routine's dispatches and barriers.
//   - RunSteps (steps.go): many steps in one submission. A chunk of n
//     steps is the recordings of 2^j steps that n's binary digits name,
//     submitted together; each step is a copy of that step's arguments
//     into the binding-0 buffer and then the routine. Two chunks may be in
//     flight, and Write, Upload, Read and Run wait for them.
//   - Resident data (kernel_gather.go): DataBuffers hold a dataset (uint8,
//     int32 or float32) uploaded once or in streamed chunks (Upload);
//     GatherRows and GatherLabels fill each batch on the device through
//     the epoch's sample order; ScatterRows collects Predict's outputs
//     there. MaxBufferBytes says how large one may be.
//   - Device failures (failure.go): a lost device or one out of memory at a
//     submission ends the program with an error every later call returns.
//   - Kernels (kernel_*.go, one file per op family): kernel.go has the
//     shader convention and the one type switch that finds each op's
//     kernel; launch.go the dispatch helpers they share.
//   - The Vulkan toolkit (internal/vk): devices, memory, buffers, pipelines,
//     descriptor sets, command buffers and the cgo binding under them.
//
// Without cgo, or on a machine without a Vulkan loader or device,
// NewBackend returns an error wrapping ErrUnavailable.
//
// Environment:
//   - ANVIL_DEVICE selects a device by index or name substring ("lavapipe"
//     finds Mesa's llvmpipe).
//   - ANVIL_VK_VALIDATION=1 enables the Khronos validation layer with
//     synchronization validation; Backend.ValidationMessages returns its
//     warnings and errors.
//   - ANVIL_VK_LOADER is the path of the Vulkan loader library to dlopen
//     instead of libvulkan.so.1.
//   - VK_DRIVER_FILES, read by the Vulkan loader, restricts the drivers
//     (tests pin lavapipe with it; /nonexistent simulates no driver).
//   - ANVIL_REQUIRE_VULKAN=1 makes the tests fail, not skip, without Vulkan.
//
// A Backend and the programs it compiles must be used from one goroutine
// at a time; different Backends may run at once from different goroutines.
// They share one Vulkan instance per process, created by the first
// NewBackend and kept until the process exits.
package gpu
