//go:build cgo

package vk

/*
#cgo LDFLAGS: -ldl
#include <stdlib.h>
#include "vk.h"
*/
import "C"

import (
	"fmt"
	"os"
	"strings"
	"sync"
	"time"
	"unsafe"
)

var (
	loadOnce sync.Once
	loadErr  error
)

// loadVulkan dlopens the Vulkan loader once per process: $ANVIL_VK_LOADER
// if set, else libvulkan.so.1.
func loadVulkan() error {
	loadOnce.Do(func() {
		var msg [512]C.char
		path := C.CString(os.Getenv("ANVIL_VK_LOADER"))
		defer C.free(unsafe.Pointer(path))
		if C.anv_load(path, &msg[0], C.size_t(len(msg))) == 0 {
			loadErr = fmt.Errorf("%w: cannot load the Vulkan loader (%s); install it (Debian: libvulkan1) and a driver",
				ErrUnavailable, C.GoString(&msg[0]))
		}
	})
	return loadErr
}

// check turns a helper status into nil or a *VkError.
func check(s C.anv_status) error {
	if s.result == C.VK_SUCCESS {
		return nil
	}
	return &VkError{Call: C.GoString(s.call), Result: int32(s.result)}
}

func cbool(b bool) C.int {
	if b {
		return 1
	}
	return 0
}

// cDriver implements driver over the C helper in vk.c.
type cDriver struct{ c *C.anv_ctx }

// instances are the process's Vulkan instances, indexed by validation
// (0 off, 1 on), each created on first use and never destroyed: destroying
// the last instance unloads some drivers' libraries (NVIDIA's), and the
// 31st vkCreateInstance after that fails with VK_ERROR_INCOMPATIBLE_DRIVER.
// Every Device makes its own VkDevice from the shared instance.
var instances struct {
	mu  sync.Mutex
	ptr [2]*C.anv_inst
}

// sharedInstance returns the instance for the validation mode, creating it
// if this is the first use or every earlier try failed (a failure is not
// remembered, so a later call tries again and reports its own error).
func sharedInstance(validation bool) (*C.anv_inst, error) {
	if err := loadVulkan(); err != nil {
		return nil, err
	}
	i := 0
	if validation {
		i = 1
	}
	instances.mu.Lock()
	defer instances.mu.Unlock()
	if instances.ptr[i] == nil {
		var inst *C.anv_inst
		if err := check(C.anv_instance_create(cbool(validation), &inst)); err != nil {
			return nil, err
		}
		instances.ptr[i] = inst
	}
	return instances.ptr[i], nil
}

// newDriver loads Vulkan and returns a driver on the process's instance,
// the one with the Khronos validation layer and synchronization validation
// when validation is set.
func newDriver(validation bool) (driver, error) {
	inst, err := sharedInstance(validation)
	if err != nil {
		return nil, err
	}
	return &cDriver{C.anv_open(inst)}, nil
}

func (d *cDriver) close() []string { return splitMessages(C.anv_close(d.c)) }

func (d *cDriver) messages() []string { return splitMessages(C.anv_take_messages(d.c)) }

// splitMessages frees a '\x1e'-separated list from the helper.
func splitMessages(p *C.char) []string {
	if p == nil {
		return nil
	}
	defer C.free(unsafe.Pointer(p))
	return strings.Split(strings.TrimSuffix(C.GoString(p), "\x1e"), "\x1e")
}

func (d *cDriver) physicalDevices() ([]physicalDevice, error) {
	var n C.uint32_t
	if err := check(C.anv_device_count(d.c, &n)); err != nil {
		return nil, err
	}
	out := make([]physicalDevice, 0, n)
	for i := range n {
		var ci C.anv_info
		if err := check(C.anv_device_info(d.c, i, &ci)); err != nil {
			return nil, err
		}
		out = append(out, convertInfo(int(i), &ci))
	}
	return out, nil
}

// convertInfo copies the C description of a device into Go types.
func convertInfo(index int, ci *C.anv_info) physicalDevice {
	p := physicalDevice{info: Info{
		Index:                   index,
		Name:                    C.GoString(&ci.name[0]),
		VendorID:                uint32(ci.vendor_id),
		DeviceID:                uint32(ci.device_id),
		DriverVersion:           uint32(ci.driver_version),
		DeviceType:              DeviceType(ci.device_type),
		DriverName:              C.GoString(&ci.driver_name[0]),
		DriverInfo:              C.GoString(&ci.driver_info[0]),
		APIVersion:              Version(ci.api_version),
		SubgroupSize:            int(ci.subgroup_size),
		MaxSharedMemory:         int(ci.max_shared_memory),
		MaxWorkgroupInvocations: int(ci.max_invocations),
		Float16:                 ci.float16 != 0,
		CooperativeMatrix:       ci.coop_matrix != 0,
		CooperativeMatrixNV:     ci.coop_nv != 0,
		BufferAddress:           ci.buffer_address != 0,
		TimestampPeriod:         float64(ci.timestamp_period),
	}}
	for i := range int(ci.coop_count) {
		s := &ci.coop[i]
		p.info.CoopShapesNV = append(p.info.CoopShapesNV, CoopShape{M: int(s.m), N: int(s.n), K: int(s.k),
			A: ComponentType(s.a), B: ComponentType(s.b), C: ComponentType(s.c), D: ComponentType(s.d), Scope: Scope(s.scope)})
	}
	p.limits = limits{
		maxPushConstants:   int(ci.max_push_constants),
		maxStorageRange:    uint64(ci.max_storage_range),
		maxStorageBuffers:  int(ci.max_storage_buffers),
		maxAllocationCount: uint32(ci.max_allocation_count),
		maxAllocationSize:  uint64(ci.max_allocation_size),
	}
	for i := range 3 {
		p.limits.maxGroupCount[i] = uint32(ci.max_group_count[i])
		p.limits.maxGroupSize[i] = uint32(ci.max_group_size[i])
	}
	for i := range int(ci.memory_type_count) {
		p.types = append(p.types, memoryType{flags: uint32(ci.memory_flags[i]), heap: int(ci.memory_heap[i])})
	}
	for i := range int(ci.memory_heap_count) {
		p.heaps = append(p.heaps, memoryHeap{size: uint64(ci.heap_size[i]), flags: uint32(ci.heap_flags[i])})
	}
	for i := range int(ci.family_count) {
		p.families = append(p.families, queueFamily{
			flags: uint32(ci.family_flags[i]), timestampBits: uint32(ci.family_timestamp_bits[i])})
	}
	return p
}

func (d *cDriver) openDevice(index, family int, bufferAddress bool) error {
	return check(C.anv_device_open(d.c, C.uint32_t(index), C.uint32_t(family), cbool(bufferAddress)))
}

func (d *cDriver) allocMemory(size uint64, typeIndex int, mapped bool) (uint64, unsafe.Pointer, error) {
	var mem C.uint64_t
	var ptr unsafe.Pointer
	err := check(C.anv_memory_alloc(d.c, C.uint64_t(size), C.uint32_t(typeIndex), cbool(mapped), &mem, &ptr))
	return uint64(mem), ptr, err
}

func (d *cDriver) freeMemory(mem uint64) { C.anv_memory_free(d.c, C.uint64_t(mem)) }

func (d *cDriver) createBuffer(size uint64) (uint64, memRequirements, error) {
	var buf C.uint64_t
	var req [3]C.uint64_t
	if err := check(C.anv_buffer_create(d.c, C.uint64_t(size), &buf, &req[0])); err != nil {
		return 0, memRequirements{}, err
	}
	return uint64(buf), memRequirements{size: uint64(req[0]), alignment: uint64(req[1]), typeBits: uint32(req[2])}, nil
}

func (d *cDriver) bindBuffer(buf, mem, offset uint64) error {
	return check(C.anv_buffer_bind(d.c, C.uint64_t(buf), C.uint64_t(mem), C.uint64_t(offset)))
}

func (d *cDriver) destroyBuffer(buf uint64) { C.anv_buffer_destroy(d.c, C.uint64_t(buf)) }

func (d *cDriver) bufferAddress(buf uint64) uint64 {
	return uint64(C.anv_buffer_address(d.c, C.uint64_t(buf)))
}

func (d *cDriver) createPipeline(code []byte, bindings, pushBytes int, constants []uint32) (pipelineHandles, error) {
	// C.CBytes copies into malloc'd memory, which meets pCode's 4-byte alignment.
	cc := C.CBytes(code)
	defer C.free(cc)
	var spec *C.uint32_t
	if len(constants) > 0 {
		spec = (*C.uint32_t)(unsafe.Pointer(&constants[0]))
	}
	var p C.anv_pipeline
	err := check(C.anv_pipeline_create(d.c, cc, C.size_t(len(code)), C.uint32_t(bindings), C.uint32_t(pushBytes),
		spec, C.uint32_t(len(constants)), &p))
	return pipelineHandles{uint64(p.module), uint64(p.set_layout), uint64(p.layout), uint64(p.pipeline)}, err
}

func (d *cDriver) createPipelineCache(data []byte) (bool, error) {
	var cd unsafe.Pointer
	if len(data) > 0 {
		cd = C.CBytes(data)
		defer C.free(cd)
	}
	var used C.int
	err := check(C.anv_pipeline_cache_create(d.c, cd, C.size_t(len(data)), &used))
	return used != 0, err
}

func (d *cDriver) pipelineCacheData() ([]byte, error) {
	var size C.size_t
	if err := check(C.anv_pipeline_cache_data(d.c, nil, &size)); err != nil || size == 0 {
		return nil, err
	}
	buf := C.malloc(size)
	defer C.free(buf)
	if err := check(C.anv_pipeline_cache_data(d.c, buf, &size)); err != nil {
		return nil, err
	}
	return C.GoBytes(buf, C.int(size)), nil
}

func toC(p pipelineHandles) C.anv_pipeline {
	return C.anv_pipeline{C.uint64_t(p.module), C.uint64_t(p.setLayout), C.uint64_t(p.layout), C.uint64_t(p.pipeline)}
}

func (d *cDriver) destroyPipeline(p pipelineHandles) {
	cp := toC(p)
	C.anv_pipeline_destroy(d.c, &cp)
}

func (d *cDriver) createDescriptorPool(sets, descriptors int) (uint64, error) {
	var pool C.uint64_t
	err := check(C.anv_pool_create(d.c, C.uint32_t(sets), C.uint32_t(descriptors), &pool))
	return uint64(pool), err
}

func (d *cDriver) destroyDescriptorPool(pool uint64) { C.anv_pool_destroy(d.c, C.uint64_t(pool)) }

func (d *cDriver) createDescriptorSet(pool, layout uint64, bufs []uint64) (uint64, error) {
	var set C.uint64_t
	var first *C.uint64_t
	if len(bufs) > 0 {
		first = (*C.uint64_t)(unsafe.Pointer(&bufs[0]))
	}
	err := check(C.anv_set_create(d.c, C.uint64_t(pool), C.uint64_t(layout), first, C.uint32_t(len(bufs)), &set))
	return uint64(set), err
}

func (d *cDriver) freeDescriptorSet(pool, set uint64) error {
	return check(C.anv_set_free(d.c, C.uint64_t(pool), C.uint64_t(set)))
}

func (d *cDriver) newCommandBuffer(timestamps bool) (commandBuffer, error) {
	var cmd *C.anv_cmd
	if err := check(C.anv_cmd_create(d.c, cbool(timestamps), &cmd)); err != nil {
		C.anv_cmd_destroy(d.c, cmd)
		return nil, err
	}
	return &cCommands{d.c, cmd}, nil
}

// cCommands implements commandBuffer over the C helper.
type cCommands struct {
	c   *C.anv_ctx
	cmd *C.anv_cmd
}

func (b *cCommands) begin() error { return check(C.anv_cmd_begin(b.c, b.cmd)) }
func (b *cCommands) end() error   { return check(C.anv_cmd_end(b.c, b.cmd)) }
func (b *cCommands) destroy()     { C.anv_cmd_destroy(b.c, b.cmd) }
func (b *cCommands) submit() error {
	return check(C.anv_cmd_submit(b.c, b.cmd))
}

// submitAfter submits first's command buffers and then b's in one
// vkQueueSubmit. The array of C pointers lives in C memory, as cgo's
// rules ask of memory that holds pointers.
func (b *cCommands) submitAfter(first []commandBuffer) error {
	n := len(first) + 1
	arr := (*[maxGroup]*C.anv_cmd)(C.malloc(C.size_t(n) * C.size_t(unsafe.Sizeof(b.cmd))))
	defer C.free(unsafe.Pointer(arr))
	for i, f := range first {
		arr[i] = f.(*cCommands).cmd
	}
	arr[n-1] = b.cmd
	return check(C.anv_cmd_submit_group(b.c, &arr[0], C.uint32_t(n)))
}

func (b *cCommands) dispatch(p pipelineHandles, set uint64, push []byte, x, y, z uint32) {
	cp := toC(p)
	var data unsafe.Pointer
	if len(push) > 0 {
		data = unsafe.Pointer(&push[0])
	}
	C.anv_cmd_dispatch(b.c, b.cmd, &cp, C.uint64_t(set), data, C.uint32_t(len(push)),
		C.uint32_t(x), C.uint32_t(y), C.uint32_t(z))
}

func (b *cCommands) barrier(srcStage, srcAccess, dstStage, dstAccess uint32) {
	C.anv_cmd_barrier(b.c, b.cmd, C.uint32_t(srcStage), C.uint32_t(srcAccess), C.uint32_t(dstStage), C.uint32_t(dstAccess))
}

func (b *cCommands) copy(src, dst, srcOff, dstOff, size uint64) {
	C.anv_cmd_copy(b.c, b.cmd, C.uint64_t(src), C.uint64_t(dst), C.uint64_t(srcOff), C.uint64_t(dstOff), C.uint64_t(size))
}

func (b *cCommands) fill(buf, off, size uint64, value uint32) {
	C.anv_cmd_fill(b.c, b.cmd, C.uint64_t(buf), C.uint64_t(off), C.uint64_t(size), C.uint32_t(value))
}

func (b *cCommands) wait(timeout time.Duration) error {
	return check(C.anv_cmd_wait(b.c, b.cmd, C.uint64_t(timeout.Nanoseconds())))
}

func (b *cCommands) timestamps() (uint64, uint64, error) {
	var t [2]C.uint64_t
	err := check(C.anv_cmd_timestamps(b.c, b.cmd, &t[0]))
	return uint64(t[0]), uint64(t[1]), err
}

// headerConstants pairs each constant in constants.go with its value in
// vulkan_core.h, for a test to compare.
var headerConstants = map[string][2]int64{
	"ANV_MAX_GROUP":                          {C.ANV_MAX_GROUP, maxGroup},
	"VK_PHYSICAL_DEVICE_TYPE_OTHER":          {C.VK_PHYSICAL_DEVICE_TYPE_OTHER, vkPhysicalDeviceTypeOther},
	"VK_PHYSICAL_DEVICE_TYPE_INTEGRATED_GPU": {C.VK_PHYSICAL_DEVICE_TYPE_INTEGRATED_GPU, vkPhysicalDeviceTypeIntegratedGPU},
	"VK_PHYSICAL_DEVICE_TYPE_DISCRETE_GPU":   {C.VK_PHYSICAL_DEVICE_TYPE_DISCRETE_GPU, vkPhysicalDeviceTypeDiscreteGPU},
	"VK_PHYSICAL_DEVICE_TYPE_VIRTUAL_GPU":    {C.VK_PHYSICAL_DEVICE_TYPE_VIRTUAL_GPU, vkPhysicalDeviceTypeVirtualGPU},
	"VK_PHYSICAL_DEVICE_TYPE_CPU":            {C.VK_PHYSICAL_DEVICE_TYPE_CPU, vkPhysicalDeviceTypeCPU},
	"VK_QUEUE_GRAPHICS_BIT":                  {C.VK_QUEUE_GRAPHICS_BIT, vkQueueGraphics},
	"VK_QUEUE_COMPUTE_BIT":                   {C.VK_QUEUE_COMPUTE_BIT, vkQueueCompute},
	"VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT":    {C.VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT, vkMemoryDeviceLocal},
	"VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT":    {C.VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT, vkMemoryHostVisible},
	"VK_MEMORY_PROPERTY_HOST_COHERENT_BIT":   {C.VK_MEMORY_PROPERTY_HOST_COHERENT_BIT, vkMemoryHostCoherent},
	"VK_MEMORY_PROPERTY_HOST_CACHED_BIT":     {C.VK_MEMORY_PROPERTY_HOST_CACHED_BIT, vkMemoryHostCached},
	"VK_MEMORY_HEAP_DEVICE_LOCAL_BIT":        {C.VK_MEMORY_HEAP_DEVICE_LOCAL_BIT, vkMemoryHeapDeviceLocal},
	"VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT":   {C.VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT, vkStageComputeShader},
	"VK_PIPELINE_STAGE_TRANSFER_BIT":         {C.VK_PIPELINE_STAGE_TRANSFER_BIT, vkStageTransfer},
	"VK_PIPELINE_STAGE_HOST_BIT":             {C.VK_PIPELINE_STAGE_HOST_BIT, vkStageHost},
	"VK_ACCESS_SHADER_READ_BIT":              {C.VK_ACCESS_SHADER_READ_BIT, vkAccessShaderRead},
	"VK_ACCESS_SHADER_WRITE_BIT":             {C.VK_ACCESS_SHADER_WRITE_BIT, vkAccessShaderWrite},
	"VK_ACCESS_TRANSFER_READ_BIT":            {C.VK_ACCESS_TRANSFER_READ_BIT, vkAccessTransferRead},
	"VK_ACCESS_TRANSFER_WRITE_BIT":           {C.VK_ACCESS_TRANSFER_WRITE_BIT, vkAccessTransferWrite},
	"VK_ACCESS_HOST_READ_BIT":                {C.VK_ACCESS_HOST_READ_BIT, vkAccessHostRead},
	"VK_ERROR_OUT_OF_DEVICE_MEMORY":          {C.VK_ERROR_OUT_OF_DEVICE_MEMORY, vkErrorOutOfDeviceMemory},
	"VK_ERROR_OUT_OF_POOL_MEMORY":            {C.VK_ERROR_OUT_OF_POOL_MEMORY, vkErrorOutOfPoolMemory},
	"VK_ERROR_FRAGMENTED_POOL":               {C.VK_ERROR_FRAGMENTED_POOL, vkErrorFragmentedPool},
	"VK_ERROR_INCOMPATIBLE_DRIVER":           {C.VK_ERROR_INCOMPATIBLE_DRIVER, vkErrorIncompatibleDriver},
	"VK_ERROR_LAYER_NOT_PRESENT":             {C.VK_ERROR_LAYER_NOT_PRESENT, vkErrorLayerNotPresent},
	"VK_COMPONENT_TYPE_FLOAT16_NV":           {C.VK_COMPONENT_TYPE_FLOAT16_NV, vkComponentTypeFloat16},
	"VK_COMPONENT_TYPE_FLOAT32_NV":           {C.VK_COMPONENT_TYPE_FLOAT32_NV, vkComponentTypeFloat32},
	"VK_SCOPE_SUBGROUP_NV":                   {C.VK_SCOPE_SUBGROUP_NV, vkScopeSubgroup},
}
