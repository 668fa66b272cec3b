//go:build cgo

// vk.h declares Anvil's C helper over Vulkan. The helper dlopens the Vulkan
// loader at run time, so the binary links only libc, and it builds every
// Vulkan struct on the C side, so Go never hands C a pointer to Go memory
// that holds other pointers. Go sees opaque handles: dispatchable objects
// behind the anv_ctx and anv_cmd pointers, non-dispatchable ones as uint64_t.
#ifndef ANVIL_VK_H
#define ANVIL_VK_H

#define VK_NO_PROTOTYPES
#define VK_USE_64_BIT_PTR_DEFINES 0
#include <stddef.h>
#include <stdint.h>
#include <vulkan/vulkan.h>

// anv_status is the outcome of a helper call: the VkResult and the name of
// the Vulkan call that produced it (a string literal, never freed).
typedef struct {
	int32_t result;
	const char *call;
} anv_status;

// anv_inst is one Vulkan instance, kept for the life of the process, with
// the sink its validation messenger writes to.
typedef struct anv_inst anv_inst;

// anv_ctx is one logical device made from a shared instance.
typedef struct anv_ctx anv_ctx;

// anv_cmd is one reusable command buffer with its fence and, where the
// queue supports timestamps, a two-entry timestamp query pool.
typedef struct anv_cmd anv_cmd;

#define ANV_MAX_FAMILIES 16
// ANV_MAX_COOP is the most VK_NV_cooperative_matrix shapes kept per device.
#define ANV_MAX_COOP 64

// anv_coop_shape is one VkCooperativeMatrixPropertiesNV: an M×N×K fragment
// shape, its A, B, C and D component types (VkComponentTypeNV) and scope.
typedef struct {
	uint32_t m, n, k, a, b, c, d, scope;
} anv_coop_shape;

// anv_info is everything Go needs to know about one physical device.
typedef struct {
	char name[VK_MAX_PHYSICAL_DEVICE_NAME_SIZE];
	char driver_name[VK_MAX_DRIVER_NAME_SIZE];
	char driver_info[VK_MAX_DRIVER_INFO_SIZE];
	uint32_t vendor_id, device_id, device_type, api_version, driver_version;
	uint32_t subgroup_size, max_shared_memory, max_invocations;
	uint32_t max_group_size[3], max_group_count[3];
	uint32_t max_push_constants, max_storage_range, max_storage_buffers;
	uint32_t max_allocation_count;
	uint64_t max_allocation_size;
	uint32_t float16, coop_matrix;
	// coop_nv: VK_NV_cooperative_matrix is usable from compute shaders (the
	// extension, its cooperativeMatrix feature and vulkanMemoryModel, which
	// its SPIR-V needs); anv_device_open then enables it. coop lists the
	// shapes it offers (the first coop_count of them).
	uint32_t coop_nv, coop_count;
	anv_coop_shape coop[ANV_MAX_COOP];
	// buffer_address: the bufferDeviceAddress feature (Vulkan 1.2 core);
	// anv_device_open enables it when asked to.
	uint32_t buffer_address;
	float timestamp_period;
	uint32_t memory_type_count, memory_heap_count;
	uint32_t memory_flags[VK_MAX_MEMORY_TYPES], memory_heap[VK_MAX_MEMORY_TYPES];
	uint64_t heap_size[VK_MAX_MEMORY_HEAPS];
	uint32_t heap_flags[VK_MAX_MEMORY_HEAPS];
	uint32_t family_count;
	uint32_t family_flags[ANV_MAX_FAMILIES], family_timestamp_bits[ANV_MAX_FAMILIES];
} anv_info;

// anv_pipeline holds the objects behind one compute pipeline.
typedef struct {
	uint64_t module, set_layout, layout, pipeline;
} anv_pipeline;

int anv_load(const char *path, char *err, size_t n);
anv_status anv_instance_create(int validation, anv_inst **out);
anv_ctx *anv_open(anv_inst *inst);
char *anv_close(anv_ctx *c);
char *anv_take_messages(anv_ctx *c);

anv_status anv_device_count(anv_ctx *c, uint32_t *n);
anv_status anv_device_info(anv_ctx *c, uint32_t index, anv_info *out);
// anv_device_open opens device index with one queue of family; with
// buffer_address (only where anv_info.buffer_address) it enables
// bufferDeviceAddress, and buffers and memory made afterwards carry the
// device-address usage and allocation flags.
anv_status anv_device_open(anv_ctx *c, uint32_t index, uint32_t family, int buffer_address);

anv_status anv_memory_alloc(anv_ctx *c, uint64_t size, uint32_t type, int map, uint64_t *mem, void **ptr);
void anv_memory_free(anv_ctx *c, uint64_t mem);
anv_status anv_buffer_create(anv_ctx *c, uint64_t size, uint64_t *buf, uint64_t req[3]);
anv_status anv_buffer_bind(anv_ctx *c, uint64_t buf, uint64_t mem, uint64_t offset);
void anv_buffer_destroy(anv_ctx *c, uint64_t buf);
// anv_buffer_address is vkGetBufferDeviceAddress of buf; 0 unless the
// device was opened with buffer_address.
uint64_t anv_buffer_address(anv_ctx *c, uint64_t buf);

anv_status anv_pipeline_create(anv_ctx *c, const void *code, size_t size, uint32_t bindings,
	uint32_t push, const uint32_t *spec, uint32_t nspec, anv_pipeline *out);
void anv_pipeline_destroy(anv_ctx *c, anv_pipeline *p);
// anv_pipeline_cache_create gives c a pipeline cache that later pipelines
// are made through, seeded with data when its header matches the device
// (*used says whether it did). anv_pipeline_cache_data copies it out as
// vkGetPipelineCacheData does (data NULL: *size gets the size).
anv_status anv_pipeline_cache_create(anv_ctx *c, const void *data, size_t size, int *used);
anv_status anv_pipeline_cache_data(anv_ctx *c, void *data, size_t *size);
anv_status anv_pool_create(anv_ctx *c, uint32_t sets, uint32_t descriptors, uint64_t *pool);
void anv_pool_destroy(anv_ctx *c, uint64_t pool);
anv_status anv_set_create(anv_ctx *c, uint64_t pool, uint64_t layout, const uint64_t *bufs,
	uint32_t n, uint64_t *set);
anv_status anv_set_free(anv_ctx *c, uint64_t pool, uint64_t set);

anv_status anv_cmd_create(anv_ctx *c, int timestamps, anv_cmd **out);
void anv_cmd_destroy(anv_ctx *c, anv_cmd *cmd);
anv_status anv_cmd_begin(anv_ctx *c, anv_cmd *cmd);
anv_status anv_cmd_end(anv_ctx *c, anv_cmd *cmd);
void anv_cmd_dispatch(anv_ctx *c, anv_cmd *cmd, const anv_pipeline *p, uint64_t set,
	const void *push, uint32_t push_size, uint32_t x, uint32_t y, uint32_t z);
void anv_cmd_barrier(anv_ctx *c, anv_cmd *cmd, uint32_t src_stage, uint32_t src_access,
	uint32_t dst_stage, uint32_t dst_access);
void anv_cmd_copy(anv_ctx *c, anv_cmd *cmd, uint64_t src, uint64_t dst, uint64_t src_off,
	uint64_t dst_off, uint64_t size);
void anv_cmd_fill(anv_ctx *c, anv_cmd *cmd, uint64_t buf, uint64_t off, uint64_t size, uint32_t value);
anv_status anv_cmd_submit(anv_ctx *c, anv_cmd *cmd);
// ANV_MAX_GROUP is the most command buffers anv_cmd_submit_group takes.
#define ANV_MAX_GROUP 32
anv_status anv_cmd_submit_group(anv_ctx *c, anv_cmd *const *cmds, uint32_t n);
anv_status anv_cmd_wait(anv_ctx *c, anv_cmd *cmd, uint64_t timeout_ns);
anv_status anv_cmd_timestamps(anv_ctx *c, anv_cmd *cmd, uint64_t out[2]);

#endif
