package vk

import (
	"time"
	"unsafe"
)

// driver is the Vulkan binding the rest of the package is written against:
// the process's shared Vulkan instance and, after openDevice, one logical
// device with one compute queue. vk_cgo.go implements it over the C helper;
// without cgo, newDriver fails and nothing else is reached. Non-dispatchable
// Vulkan handles travel as uint64.
type driver interface {
	physicalDevices() ([]physicalDevice, error)
	// openDevice opens device index with a queue of family, with
	// bufferDeviceAddress enabled when bufferAddress (which the device's
	// Info.BufferAddress must allow).
	openDevice(index, family int, bufferAddress bool) error
	// messages drains the validation messages recorded so far on the
	// shared instance, by any device made from it.
	messages() []string
	// close destroys the device, if one was opened, and then returns the
	// messages recorded since the last drain, including those the teardown
	// caused; without a device it returns none. The instance stays.
	close() []string

	// allocMemory allocates size bytes of memory type typeIndex and, if
	// mapped, maps all of it; ptr is nil otherwise.
	allocMemory(size uint64, typeIndex int, mapped bool) (mem uint64, ptr unsafe.Pointer, err error)
	freeMemory(mem uint64)
	createBuffer(size uint64) (buf uint64, req memRequirements, err error)
	bindBuffer(buf, mem, offset uint64) error
	destroyBuffer(buf uint64)
	// bufferAddress is buf's device address; 0 unless the device was
	// opened with bufferAddress.
	bufferAddress(buf uint64) uint64

	createPipeline(code []byte, bindings, pushBytes int, constants []uint32) (pipelineHandles, error)
	destroyPipeline(p pipelineHandles)
	// createPipelineCache makes the pipeline cache later pipelines go
	// through, seeded with data when it was written by this device and
	// driver (used says whether it was).
	createPipelineCache(data []byte) (used bool, err error)
	// pipelineCacheData serializes the pipeline cache (nil without one).
	pipelineCacheData() ([]byte, error)
	createDescriptorPool(sets, descriptors int) (uint64, error)
	destroyDescriptorPool(pool uint64)
	createDescriptorSet(pool, layout uint64, bufs []uint64) (uint64, error)
	freeDescriptorSet(pool, set uint64) error

	newCommandBuffer(timestamps bool) (commandBuffer, error)
}

// commandBuffer is one reusable primary command buffer with its fence and,
// when created with timestamps, a query pool bracketing each replay.
type commandBuffer interface {
	begin() error
	end() error
	dispatch(p pipelineHandles, set uint64, push []byte, x, y, z uint32)
	barrier(srcStage, srcAccess, dstStage, dstAccess uint32)
	copy(src, dst, srcOff, dstOff, size uint64)
	fill(buf, off, size uint64, value uint32)
	submit() error
	// submitAfter submits first (at most maxGroup−1 buffers) and then
	// this buffer in one queue submission that signals this buffer's fence.
	submitAfter(first []commandBuffer) error
	wait(timeout time.Duration) error
	// timestamps returns the raw ticks written at the start and the end.
	timestamps() (start, end uint64, err error)
	destroy()
}

// memRequirements mirrors VkMemoryRequirements.
type memRequirements struct {
	size, alignment uint64
	typeBits        uint32
}

// pipelineHandles are the Vulkan objects behind one compute pipeline.
type pipelineHandles struct {
	module, setLayout, layout, pipeline uint64
}

// physicalDevice is what the binding reports about one physical device.
type physicalDevice struct {
	info     Info
	limits   limits
	types    []memoryType
	heaps    []memoryHeap
	families []queueFamily
	family   int // the compute queue family Anvil uses, -1 if none
}

// limits are the device limits the package checks requests against.
type limits struct {
	maxGroupCount      [3]uint32
	maxGroupSize       [3]uint32
	maxPushConstants   int
	maxStorageRange    uint64
	maxStorageBuffers  int
	maxAllocationCount uint32
	maxAllocationSize  uint64
}

type memoryType struct {
	flags uint32
	heap  int
}

type memoryHeap struct {
	size  uint64
	flags uint32
}

type queueFamily struct {
	flags         uint32
	timestampBits uint32
}
