//go:build cgo

// vk.c implements vk.h: a run-time loaded Vulkan function table and one
// small function per operation Go needs. Every Vulkan struct lives here.
#include "vk.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef __APPLE__
#define ANV_LOADER "libvulkan.1.dylib"
#else
#define ANV_LOADER "libvulkan.so.1"
#endif

#define ANV_INSTANCE_FNS(X) \
	X(vkDestroyInstance) X(vkEnumeratePhysicalDevices) X(vkGetPhysicalDeviceProperties2) \
	X(vkGetPhysicalDeviceFeatures2) X(vkGetPhysicalDeviceMemoryProperties) \
	X(vkGetPhysicalDeviceQueueFamilyProperties) X(vkEnumerateDeviceExtensionProperties) \
	X(vkCreateDevice) X(vkGetDeviceProcAddr)

#define ANV_DEBUG_FNS(X) X(vkCreateDebugUtilsMessengerEXT) X(vkDestroyDebugUtilsMessengerEXT)

// Instance functions of device extensions: NULL where the loader lacks
// them, and callers check.
#define ANV_OPTIONAL_FNS(X) X(vkGetPhysicalDeviceCooperativeMatrixPropertiesNV)

#define ANV_DEVICE_FNS(X) \
	X(vkDestroyDevice) X(vkGetDeviceQueue) X(vkDeviceWaitIdle) X(vkAllocateMemory) \
	X(vkFreeMemory) X(vkMapMemory) X(vkCreateBuffer) X(vkDestroyBuffer) \
	X(vkGetBufferMemoryRequirements) X(vkBindBufferMemory) X(vkCreateShaderModule) \
	X(vkDestroyShaderModule) X(vkCreateDescriptorSetLayout) X(vkDestroyDescriptorSetLayout) \
	X(vkCreatePipelineLayout) X(vkDestroyPipelineLayout) X(vkCreateComputePipelines) \
	X(vkDestroyPipeline) X(vkCreateDescriptorPool) X(vkDestroyDescriptorPool) \
	X(vkAllocateDescriptorSets) X(vkFreeDescriptorSets) X(vkUpdateDescriptorSets) \
	X(vkCreateCommandPool) X(vkDestroyCommandPool) X(vkAllocateCommandBuffers) \
	X(vkFreeCommandBuffers) X(vkBeginCommandBuffer) X(vkEndCommandBuffer) \
	X(vkCmdBindPipeline) X(vkCmdBindDescriptorSets) X(vkCmdPushConstants) X(vkCmdDispatch) \
	X(vkCmdPipelineBarrier) X(vkCmdCopyBuffer) X(vkCmdFillBuffer) X(vkCmdResetQueryPool) \
	X(vkCmdWriteTimestamp) X(vkCreateQueryPool) X(vkDestroyQueryPool) \
	X(vkGetQueryPoolResults) X(vkCreateFence) X(vkDestroyFence) X(vkWaitForFences) \
	X(vkResetFences) X(vkQueueSubmit) X(vkCreatePipelineCache) X(vkDestroyPipelineCache) \
	X(vkGetPipelineCacheData)

// Device functions loaded only when the device was opened with them enabled.
#define ANV_ADDRESS_FNS(X) X(vkGetBufferDeviceAddress)

#define ANV_FIELD(name) PFN_##name name;

// anv_inst is the process's Vulkan instance (one per validation mode) and
// the sink of its validation messages. It is never destroyed: destroying
// the last instance unloads some drivers (NVIDIA's), after which the next
// vkCreateInstance in the process fails.
struct anv_inst {
	VkInstance instance;
	uint32_t api_version; // the version the instance was created for
	VkDebugUtilsMessengerEXT messenger;
	pthread_mutex_t mu;
	char **msgs;
	uint32_t nmsgs, dropped;
	struct {
		ANV_INSTANCE_FNS(ANV_FIELD)
		ANV_DEBUG_FNS(ANV_FIELD)
		ANV_OPTIONAL_FNS(ANV_FIELD)
	} fn;
};

// anv_ctx is one logical device made from a shared instance. It copies the
// instance functions it calls so that device code reads c->fn alone.
struct anv_ctx {
	anv_inst *inst;
	VkInstance instance;
	VkPhysicalDevice physical;
	VkDevice device;
	VkQueue queue;
	VkCommandPool pool;
	VkPipelineCache cache; // VK_NULL_HANDLE until anv_pipeline_cache_create
	int buffer_address;    // bufferDeviceAddress is enabled (anv_device_open)
	struct {
		ANV_INSTANCE_FNS(ANV_FIELD)
		ANV_OPTIONAL_FNS(ANV_FIELD)
		ANV_DEVICE_FNS(ANV_FIELD)
		ANV_ADDRESS_FNS(ANV_FIELD)
	} fn;
};

struct anv_cmd {
	VkCommandBuffer cb;
	VkFence fence;
	VkQueryPool queries;
};

// The most validation messages kept between two drains; later ones are counted.
#define ANV_MAX_MESSAGES 256

#define OK ((anv_status){VK_SUCCESS, NULL})
#define FAIL(r, name) ((anv_status){(r), (name)})
#define CHECK(call, name) do { VkResult r_ = (call); if (r_ != VK_SUCCESS) return FAIL(r_, name); } while (0)

static void *loader;
static PFN_vkGetInstanceProcAddr get_proc;
static PFN_vkEnumerateInstanceVersion enumerate_version;
static PFN_vkCreateInstance create_instance;

// anv_load dlopens the loader: path, or the platform's default when empty.
int anv_load(const char *path, char *err, size_t n) {
	if (get_proc) return 1;
	loader = dlopen(*path ? path : ANV_LOADER, RTLD_NOW | RTLD_LOCAL);
	if (!loader) {
		snprintf(err, n, "%s", dlerror());
		return 0;
	}
	get_proc = (PFN_vkGetInstanceProcAddr)dlsym(loader, "vkGetInstanceProcAddr");
	if (!get_proc) {
		snprintf(err, n, "%s has no vkGetInstanceProcAddr", *path ? path : ANV_LOADER);
		return 0;
	}
	enumerate_version = (PFN_vkEnumerateInstanceVersion)get_proc(NULL, "vkEnumerateInstanceVersion");
	create_instance = (PFN_vkCreateInstance)get_proc(NULL, "vkCreateInstance");
	return 1;
}

static void push_message(anv_inst *c, const char *msg) {
	pthread_mutex_lock(&c->mu);
	if (c->nmsgs < ANV_MAX_MESSAGES) {
		c->msgs[c->nmsgs++] = strdup(msg);
	} else {
		c->dropped++;
	}
	pthread_mutex_unlock(&c->mu);
}

// on_message records warnings and errors; the severity filter is set when
// the messenger is created.
static VKAPI_ATTR VkBool32 VKAPI_CALL on_message(VkDebugUtilsMessageSeverityFlagBitsEXT severity,
	VkDebugUtilsMessageTypeFlagsEXT type, const VkDebugUtilsMessengerCallbackDataEXT *data, void *user) {
	(void)type;
	char buf[4096];
	snprintf(buf, sizeof buf, "%s: %s",
		severity & VK_DEBUG_UTILS_MESSAGE_SEVERITY_ERROR_BIT_EXT ? "error" : "warning",
		data->pMessage ? data->pMessage : "(no message)");
	push_message(user, buf);
	return VK_FALSE;
}

// take_messages returns the messages recorded on the instance separated by
// '\x1e' and forgets them, or NULL when there are none. The caller frees the
// result.
static char *take_messages(anv_inst *c) {
	pthread_mutex_lock(&c->mu);
	size_t len = 64;
	for (uint32_t i = 0; i < c->nmsgs; i++) len += strlen(c->msgs[i]) + 1;
	char *out = NULL;
	if (c->nmsgs > 0 || c->dropped > 0) {
		out = calloc(1, len);
		for (uint32_t i = 0; i < c->nmsgs; i++) {
			strcat(out, c->msgs[i]);
			strcat(out, "\x1e");
			free(c->msgs[i]);
		}
		if (c->dropped) sprintf(out + strlen(out), "(%u more messages dropped)", c->dropped);
	}
	c->nmsgs = c->dropped = 0;
	pthread_mutex_unlock(&c->mu);
	return out;
}

// anv_take_messages drains the messages of c's instance: every device made
// from it reports into one sink.
char *anv_take_messages(anv_ctx *c) { return take_messages(c->inst); }

static anv_status load_instance_fns(anv_inst *c, int validation) {
#define LOAD(name) \
	if (!(c->fn.name = (PFN_##name)get_proc(c->instance, #name))) \
		return FAIL(VK_ERROR_INITIALIZATION_FAILED, "vkGetInstanceProcAddr(" #name ")");
	ANV_INSTANCE_FNS(LOAD)
	if (validation) { ANV_DEBUG_FNS(LOAD) }
#undef LOAD
#define LOAD_OPTIONAL(name) c->fn.name = (PFN_##name)get_proc(c->instance, #name);
	ANV_OPTIONAL_FNS(LOAD_OPTIONAL)
#undef LOAD_OPTIONAL
	return OK;
}

static anv_status create_instance_with(anv_inst *c, int validation) {
	uint32_t version = VK_API_VERSION_1_0;
	if (enumerate_version) enumerate_version(&version);
	if (version < VK_API_VERSION_1_1) return FAIL(VK_ERROR_INCOMPATIBLE_DRIVER, "vkEnumerateInstanceVersion");
	VkApplicationInfo app = {VK_STRUCTURE_TYPE_APPLICATION_INFO};
	app.pApplicationName = "anvil";
	app.pEngineName = "anvil";
	app.apiVersion = version < VK_API_VERSION_1_3 ? version : VK_API_VERSION_1_3;
	VkDebugUtilsMessengerCreateInfoEXT dbg = {VK_STRUCTURE_TYPE_DEBUG_UTILS_MESSENGER_CREATE_INFO_EXT};
	dbg.messageSeverity = VK_DEBUG_UTILS_MESSAGE_SEVERITY_WARNING_BIT_EXT | VK_DEBUG_UTILS_MESSAGE_SEVERITY_ERROR_BIT_EXT;
	dbg.messageType = VK_DEBUG_UTILS_MESSAGE_TYPE_GENERAL_BIT_EXT | VK_DEBUG_UTILS_MESSAGE_TYPE_VALIDATION_BIT_EXT |
		VK_DEBUG_UTILS_MESSAGE_TYPE_PERFORMANCE_BIT_EXT;
	dbg.pfnUserCallback = on_message;
	dbg.pUserData = c;
	VkValidationFeatureEnableEXT enables[] = {VK_VALIDATION_FEATURE_ENABLE_SYNCHRONIZATION_VALIDATION_EXT};
	VkValidationFeaturesEXT features = {VK_STRUCTURE_TYPE_VALIDATION_FEATURES_EXT, &dbg, 1, enables};
	const char *layers[] = {"VK_LAYER_KHRONOS_validation"};
	const char *exts[] = {VK_EXT_DEBUG_UTILS_EXTENSION_NAME, VK_EXT_VALIDATION_FEATURES_EXTENSION_NAME};
	VkInstanceCreateInfo info = {VK_STRUCTURE_TYPE_INSTANCE_CREATE_INFO};
	info.pApplicationInfo = &app;
	if (validation) {
		info.pNext = &features;
		info.enabledLayerCount = 1;
		info.ppEnabledLayerNames = layers;
		info.enabledExtensionCount = 2;
		info.ppEnabledExtensionNames = exts;
	}
	CHECK(create_instance(&info, NULL, &c->instance), "vkCreateInstance");
	c->api_version = app.apiVersion;
	anv_status s = load_instance_fns(c, validation);
	if (s.result != VK_SUCCESS || !validation) return s;
	CHECK(c->fn.vkCreateDebugUtilsMessengerEXT(c->instance, &dbg, NULL, &c->messenger),
		"vkCreateDebugUtilsMessengerEXT");
	return OK;
}

// anv_instance_create creates an instance for the process to keep. On
// failure it leaves nothing behind, so the caller may try again.
anv_status anv_instance_create(int validation, anv_inst **out) {
	if (!create_instance) return FAIL(VK_ERROR_INITIALIZATION_FAILED, "vkGetInstanceProcAddr(vkCreateInstance)");
	anv_inst *c = calloc(1, sizeof *c);
	c->msgs = calloc(ANV_MAX_MESSAGES, sizeof(char *));
	pthread_mutex_init(&c->mu, NULL);
	anv_status s = create_instance_with(c, validation);
	if (s.result != VK_SUCCESS) {
		if (c->messenger) c->fn.vkDestroyDebugUtilsMessengerEXT(c->instance, c->messenger, NULL);
		if (c->instance && c->fn.vkDestroyInstance) c->fn.vkDestroyInstance(c->instance, NULL);
		free(take_messages(c));
		free(c->msgs);
		pthread_mutex_destroy(&c->mu);
		free(c);
		return s;
	}
	*out = c;
	return OK;
}

// anv_open makes a context on inst, ready to list devices and open one.
anv_ctx *anv_open(anv_inst *inst) {
	anv_ctx *c = calloc(1, sizeof *c);
	c->inst = inst;
	c->instance = inst->instance;
#define COPY(name) c->fn.name = inst->fn.name;
	ANV_INSTANCE_FNS(COPY)
	ANV_OPTIONAL_FNS(COPY)
#undef COPY
	return c;
}

// anv_close destroys c's device, if one was opened, and returns the
// instance's messages not yet taken, including those the teardown raised,
// for the caller to free. A context without a device takes none, so that
// listing devices never swallows another device's messages. The instance
// stays.
char *anv_close(anv_ctx *c) {
	char *left = NULL;
	if (c->pool) {
		c->fn.vkDeviceWaitIdle(c->device);
		c->fn.vkDestroyCommandPool(c->device, c->pool, NULL);
	}
	if (c->cache) c->fn.vkDestroyPipelineCache(c->device, c->cache, NULL);
	if (c->device && c->fn.vkDestroyDevice) c->fn.vkDestroyDevice(c->device, NULL);
	if (c->device) left = take_messages(c->inst);
	free(c);
	return left;
}

anv_status anv_device_count(anv_ctx *c, uint32_t *n) {
	CHECK(c->fn.vkEnumeratePhysicalDevices(c->instance, n, NULL), "vkEnumeratePhysicalDevices");
	return OK;
}

static anv_status physical(anv_ctx *c, uint32_t index, VkPhysicalDevice *out) {
	VkPhysicalDevice all[64];
	uint32_t n = 64;
	VkResult r = c->fn.vkEnumeratePhysicalDevices(c->instance, &n, all);
	if (r != VK_SUCCESS && r != VK_INCOMPLETE) return FAIL(r, "vkEnumeratePhysicalDevices");
	if (index >= n) return FAIL(VK_ERROR_UNKNOWN, "vkEnumeratePhysicalDevices");
	*out = all[index];
	return OK;
}

// fp16_features chains the float16 feature queries into f2; both structs are
// core from Vulkan 1.2 on, so older devices report no float16.
static void fp16_features(VkPhysicalDeviceFeatures2 *f2, VkPhysicalDeviceShaderFloat16Int8Features *f16,
	VkPhysicalDevice16BitStorageFeatures *s16) {
	*s16 = (VkPhysicalDevice16BitStorageFeatures){VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_16BIT_STORAGE_FEATURES};
	*f16 = (VkPhysicalDeviceShaderFloat16Int8Features){VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_SHADER_FLOAT16_INT8_FEATURES, s16};
	*f2 = (VkPhysicalDeviceFeatures2){VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_FEATURES_2, f16};
}

static int has_extension(anv_ctx *c, VkPhysicalDevice pd, const char *name) {
	uint32_t n = 0;
	c->fn.vkEnumerateDeviceExtensionProperties(pd, NULL, &n, NULL);
	VkExtensionProperties *exts = calloc(n ? n : 1, sizeof *exts);
	c->fn.vkEnumerateDeviceExtensionProperties(pd, NULL, &n, exts);
	int found = 0;
	for (uint32_t i = 0; i < n; i++) found |= strcmp(exts[i].extensionName, name) == 0;
	free(exts);
	return found;
}

// coop_nv_usable reports whether compute shaders on pd may use
// VK_NV_cooperative_matrix: the extension, its cooperativeMatrix feature
// and compute stage, the properties query, and vulkanMemoryModel (core in
// Vulkan 1.2; the extension's GLSL compiles to the Vulkan memory model).
static int coop_nv_usable(anv_ctx *c, VkPhysicalDevice pd, uint32_t api_version) {
	if (api_version < VK_API_VERSION_1_2 || !c->fn.vkGetPhysicalDeviceCooperativeMatrixPropertiesNV ||
		!has_extension(c, pd, VK_NV_COOPERATIVE_MATRIX_EXTENSION_NAME))
		return 0;
	VkPhysicalDeviceCooperativeMatrixFeaturesNV cf = {VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_COOPERATIVE_MATRIX_FEATURES_NV};
	VkPhysicalDeviceVulkanMemoryModelFeatures mm = {VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_VULKAN_MEMORY_MODEL_FEATURES, &cf};
	VkPhysicalDeviceFeatures2 f2 = {VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_FEATURES_2, &mm};
	c->fn.vkGetPhysicalDeviceFeatures2(pd, &f2);
	VkPhysicalDeviceCooperativeMatrixPropertiesNV cp = {VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_COOPERATIVE_MATRIX_PROPERTIES_NV};
	VkPhysicalDeviceProperties2 p2 = {VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_PROPERTIES_2, &cp};
	c->fn.vkGetPhysicalDeviceProperties2(pd, &p2);
	return cf.cooperativeMatrix && mm.vulkanMemoryModel && (cp.cooperativeMatrixSupportedStages & VK_SHADER_STAGE_COMPUTE_BIT);
}

// coop_nv_info fills o's VK_NV_cooperative_matrix fields.
static void coop_nv_info(anv_ctx *c, VkPhysicalDevice pd, anv_info *o) {
	o->coop_nv = coop_nv_usable(c, pd, o->api_version);
	if (!o->coop_nv) return;
	VkCooperativeMatrixPropertiesNV props[ANV_MAX_COOP];
	uint32_t n = ANV_MAX_COOP;
	for (uint32_t i = 0; i < n; i++)
		props[i] = (VkCooperativeMatrixPropertiesNV){VK_STRUCTURE_TYPE_COOPERATIVE_MATRIX_PROPERTIES_NV};
	VkResult r = c->fn.vkGetPhysicalDeviceCooperativeMatrixPropertiesNV(pd, &n, props);
	if (r != VK_SUCCESS && r != VK_INCOMPLETE) n = 0; // VK_INCOMPLETE: the first ANV_MAX_COOP
	o->coop_count = n;
	for (uint32_t i = 0; i < n; i++) {
		VkCooperativeMatrixPropertiesNV *p = &props[i];
		o->coop[i] = (anv_coop_shape){p->MSize, p->NSize, p->KSize, p->AType, p->BType, p->CType, p->DType, p->scope};
	}
}

// buffer_address_supported reports the bufferDeviceAddress feature, core
// in Vulkan 1.2: devices or instances of an earlier version report none,
// so that vkGetBufferDeviceAddress is sure to load.
static int buffer_address_supported(anv_ctx *c, VkPhysicalDevice pd, uint32_t api_version) {
	if (api_version < VK_API_VERSION_1_2 || c->inst->api_version < VK_API_VERSION_1_2) return 0;
	VkPhysicalDeviceBufferDeviceAddressFeatures bda = {VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_BUFFER_DEVICE_ADDRESS_FEATURES};
	VkPhysicalDeviceFeatures2 f2 = {VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_FEATURES_2, &bda};
	c->fn.vkGetPhysicalDeviceFeatures2(pd, &f2);
	return bda.bufferDeviceAddress;
}

static void properties_info(anv_ctx *c, VkPhysicalDevice pd, anv_info *o) {
	VkPhysicalDeviceDriverProperties drv = {VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_DRIVER_PROPERTIES};
	VkPhysicalDeviceMaintenance3Properties m3 = {VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_MAINTENANCE_3_PROPERTIES};
	VkPhysicalDeviceSubgroupProperties sub = {VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_SUBGROUP_PROPERTIES, &m3};
	VkPhysicalDeviceProperties2 p2 = {VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_PROPERTIES_2, &sub};
	c->fn.vkGetPhysicalDeviceProperties2(pd, &p2);
	if (p2.properties.apiVersion >= VK_API_VERSION_1_2) {
		m3.pNext = &drv;
		c->fn.vkGetPhysicalDeviceProperties2(pd, &p2);
	}
	VkPhysicalDeviceProperties *p = &p2.properties;
	VkPhysicalDeviceLimits *l = &p->limits;
	memcpy(o->name, p->deviceName, sizeof o->name);
	memcpy(o->driver_name, drv.driverName, sizeof o->driver_name);
	memcpy(o->driver_info, drv.driverInfo, sizeof o->driver_info);
	o->vendor_id = p->vendorID;
	o->device_id = p->deviceID;
	o->device_type = p->deviceType;
	o->api_version = p->apiVersion;
	o->driver_version = p->driverVersion;
	o->subgroup_size = sub.subgroupSize;
	o->max_shared_memory = l->maxComputeSharedMemorySize;
	o->max_invocations = l->maxComputeWorkGroupInvocations;
	memcpy(o->max_group_size, l->maxComputeWorkGroupSize, sizeof o->max_group_size);
	memcpy(o->max_group_count, l->maxComputeWorkGroupCount, sizeof o->max_group_count);
	o->max_push_constants = l->maxPushConstantsSize;
	o->max_storage_range = l->maxStorageBufferRange;
	o->max_storage_buffers = l->maxPerStageDescriptorStorageBuffers;
	o->max_allocation_count = l->maxMemoryAllocationCount;
	o->max_allocation_size = m3.maxMemoryAllocationSize;
	o->timestamp_period = l->timestampPeriod;
}

anv_status anv_device_info(anv_ctx *c, uint32_t index, anv_info *o) {
	VkPhysicalDevice pd;
	anv_status s = physical(c, index, &pd);
	if (s.result != VK_SUCCESS) return s;
	memset(o, 0, sizeof *o);
	properties_info(c, pd, o);
	if (o->api_version >= VK_API_VERSION_1_2) {
		VkPhysicalDeviceFeatures2 f2;
		VkPhysicalDeviceShaderFloat16Int8Features f16;
		VkPhysicalDevice16BitStorageFeatures s16;
		fp16_features(&f2, &f16, &s16);
		c->fn.vkGetPhysicalDeviceFeatures2(pd, &f2);
		o->float16 = f16.shaderFloat16 && s16.storageBuffer16BitAccess;
	}
	o->coop_matrix = has_extension(c, pd, "VK_KHR_cooperative_matrix");
	coop_nv_info(c, pd, o);
	o->buffer_address = buffer_address_supported(c, pd, o->api_version);
	VkPhysicalDeviceMemoryProperties mp;
	c->fn.vkGetPhysicalDeviceMemoryProperties(pd, &mp);
	o->memory_type_count = mp.memoryTypeCount;
	for (uint32_t i = 0; i < mp.memoryTypeCount; i++) {
		o->memory_flags[i] = mp.memoryTypes[i].propertyFlags;
		o->memory_heap[i] = mp.memoryTypes[i].heapIndex;
	}
	o->memory_heap_count = mp.memoryHeapCount;
	for (uint32_t i = 0; i < mp.memoryHeapCount; i++) {
		o->heap_size[i] = mp.memoryHeaps[i].size;
		o->heap_flags[i] = mp.memoryHeaps[i].flags;
	}
	VkQueueFamilyProperties fams[ANV_MAX_FAMILIES];
	uint32_t n = ANV_MAX_FAMILIES;
	c->fn.vkGetPhysicalDeviceQueueFamilyProperties(pd, &n, fams);
	o->family_count = n;
	for (uint32_t i = 0; i < n; i++) {
		o->family_flags[i] = fams[i].queueFlags;
		o->family_timestamp_bits[i] = fams[i].timestampValidBits;
	}
	return OK;
}

static anv_status load_device_fns(anv_ctx *c) {
#define LOAD(name) \
	if (!(c->fn.name = (PFN_##name)c->fn.vkGetDeviceProcAddr(c->device, #name))) \
		return FAIL(VK_ERROR_INITIALIZATION_FAILED, "vkGetDeviceProcAddr(" #name ")");
	ANV_DEVICE_FNS(LOAD)
	if (c->buffer_address) { ANV_ADDRESS_FNS(LOAD) }
#undef LOAD
	return OK;
}

anv_status anv_device_open(anv_ctx *c, uint32_t index, uint32_t family, int buffer_address) {
	anv_status s = physical(c, index, &c->physical);
	if (s.result != VK_SUCCESS) return s;
	VkPhysicalDeviceProperties2 p2 = {VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_PROPERTIES_2};
	c->fn.vkGetPhysicalDeviceProperties2(c->physical, &p2);
	float priority = 1.0f;
	VkDeviceQueueCreateInfo q = {VK_STRUCTURE_TYPE_DEVICE_QUEUE_CREATE_INFO};
	q.queueFamilyIndex = family;
	q.queueCount = 1;
	q.pQueuePriorities = &priority;
	VkDeviceCreateInfo info = {VK_STRUCTURE_TYPE_DEVICE_CREATE_INFO};
	info.queueCreateInfoCount = 1;
	info.pQueueCreateInfos = &q;
	VkPhysicalDeviceFeatures2 f2;
	VkPhysicalDeviceShaderFloat16Int8Features f16;
	VkPhysicalDevice16BitStorageFeatures s16;
	if (p2.properties.apiVersion >= VK_API_VERSION_1_2) {
		// Enable every supported feature of the float16 structs, nothing else.
		fp16_features(&f2, &f16, &s16);
		c->fn.vkGetPhysicalDeviceFeatures2(c->physical, &f2);
		memset(&f2.features, 0, sizeof f2.features);
		info.pNext = &f2;
	}
	// VK_NV_cooperative_matrix where usable (anv_info.coop_nv says the same),
	// with the memory model its shaders declare; nothing else of either.
	VkPhysicalDeviceCooperativeMatrixFeaturesNV coop = {VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_COOPERATIVE_MATRIX_FEATURES_NV};
	VkPhysicalDeviceVulkanMemoryModelFeatures mm = {VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_VULKAN_MEMORY_MODEL_FEATURES, &coop};
	const char *coop_ext[] = {VK_NV_COOPERATIVE_MATRIX_EXTENSION_NAME};
	if (coop_nv_usable(c, c->physical, p2.properties.apiVersion)) {
		coop.cooperativeMatrix = VK_TRUE;
		mm.vulkanMemoryModel = VK_TRUE;
		s16.pNext = &mm;
		info.enabledExtensionCount = 1;
		info.ppEnabledExtensionNames = coop_ext;
	}
	// bufferDeviceAddress when asked (and supported), nothing else of its struct.
	VkPhysicalDeviceBufferDeviceAddressFeatures bda = {VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_BUFFER_DEVICE_ADDRESS_FEATURES};
	c->buffer_address = buffer_address && buffer_address_supported(c, c->physical, p2.properties.apiVersion);
	if (c->buffer_address) {
		bda.bufferDeviceAddress = VK_TRUE;
		bda.pNext = f2.pNext;
		f2.pNext = &bda;
	}
	CHECK(c->fn.vkCreateDevice(c->physical, &info, NULL, &c->device), "vkCreateDevice");
	s = load_device_fns(c);
	if (s.result != VK_SUCCESS) return s;
	c->fn.vkGetDeviceQueue(c->device, family, 0, &c->queue);
	VkCommandPoolCreateInfo pool = {VK_STRUCTURE_TYPE_COMMAND_POOL_CREATE_INFO};
	pool.flags = VK_COMMAND_POOL_CREATE_RESET_COMMAND_BUFFER_BIT;
	pool.queueFamilyIndex = family;
	CHECK(c->fn.vkCreateCommandPool(c->device, &pool, NULL, &c->pool), "vkCreateCommandPool");
	return OK;
}

anv_status anv_memory_alloc(anv_ctx *c, uint64_t size, uint32_t type, int map, uint64_t *mem, void **ptr) {
	VkMemoryAllocateInfo info = {VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO, NULL, size, type};
	// Buffers bound to this memory may have their address taken.
	VkMemoryAllocateFlagsInfo flags = {VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_FLAGS_INFO, NULL,
		VK_MEMORY_ALLOCATE_DEVICE_ADDRESS_BIT};
	if (c->buffer_address) info.pNext = &flags;
	VkDeviceMemory m;
	CHECK(c->fn.vkAllocateMemory(c->device, &info, NULL, &m), "vkAllocateMemory");
	*ptr = NULL;
	if (map) {
		VkResult r = c->fn.vkMapMemory(c->device, m, 0, VK_WHOLE_SIZE, 0, ptr);
		if (r != VK_SUCCESS) {
			c->fn.vkFreeMemory(c->device, m, NULL);
			return FAIL(r, "vkMapMemory");
		}
	}
	*mem = m;
	return OK;
}

void anv_memory_free(anv_ctx *c, uint64_t mem) { c->fn.vkFreeMemory(c->device, mem, NULL); }

anv_status anv_buffer_create(anv_ctx *c, uint64_t size, uint64_t *buf, uint64_t req[3]) {
	VkBufferCreateInfo info = {VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO};
	info.size = size;
	info.usage = VK_BUFFER_USAGE_STORAGE_BUFFER_BIT | VK_BUFFER_USAGE_TRANSFER_SRC_BIT | VK_BUFFER_USAGE_TRANSFER_DST_BIT;
	if (c->buffer_address) info.usage |= VK_BUFFER_USAGE_SHADER_DEVICE_ADDRESS_BIT;
	info.sharingMode = VK_SHARING_MODE_EXCLUSIVE;
	CHECK(c->fn.vkCreateBuffer(c->device, &info, NULL, buf), "vkCreateBuffer");
	VkMemoryRequirements r;
	c->fn.vkGetBufferMemoryRequirements(c->device, *buf, &r);
	req[0] = r.size;
	req[1] = r.alignment;
	req[2] = r.memoryTypeBits;
	return OK;
}

anv_status anv_buffer_bind(anv_ctx *c, uint64_t buf, uint64_t mem, uint64_t offset) {
	CHECK(c->fn.vkBindBufferMemory(c->device, buf, mem, offset), "vkBindBufferMemory");
	return OK;
}

void anv_buffer_destroy(anv_ctx *c, uint64_t buf) { c->fn.vkDestroyBuffer(c->device, buf, NULL); }

uint64_t anv_buffer_address(anv_ctx *c, uint64_t buf) {
	if (!c->buffer_address) return 0;
	VkBufferDeviceAddressInfo info = {VK_STRUCTURE_TYPE_BUFFER_DEVICE_ADDRESS_INFO, NULL, buf};
	return c->fn.vkGetBufferDeviceAddress(c->device, &info);
}

#define ANV_MAX_BINDINGS 64
#define ANV_MAX_SPEC 64

static anv_status create_layouts(anv_ctx *c, uint32_t bindings, uint32_t push, anv_pipeline *p) {
	VkDescriptorSetLayoutBinding b[ANV_MAX_BINDINGS];
	if (bindings > ANV_MAX_BINDINGS) return FAIL(VK_ERROR_UNKNOWN, "vkCreateDescriptorSetLayout");
	for (uint32_t i = 0; i < bindings; i++)
		b[i] = (VkDescriptorSetLayoutBinding){i, VK_DESCRIPTOR_TYPE_STORAGE_BUFFER, 1, VK_SHADER_STAGE_COMPUTE_BIT};
	VkDescriptorSetLayoutCreateInfo dsl = {VK_STRUCTURE_TYPE_DESCRIPTOR_SET_LAYOUT_CREATE_INFO};
	dsl.bindingCount = bindings;
	dsl.pBindings = b;
	CHECK(c->fn.vkCreateDescriptorSetLayout(c->device, &dsl, NULL, &p->set_layout), "vkCreateDescriptorSetLayout");
	VkPushConstantRange range = {VK_SHADER_STAGE_COMPUTE_BIT, 0, push};
	VkDescriptorSetLayout set_layout = p->set_layout;
	VkPipelineLayoutCreateInfo pl = {VK_STRUCTURE_TYPE_PIPELINE_LAYOUT_CREATE_INFO};
	pl.setLayoutCount = 1;
	pl.pSetLayouts = &set_layout;
	pl.pushConstantRangeCount = push ? 1 : 0;
	pl.pPushConstantRanges = &range;
	CHECK(c->fn.vkCreatePipelineLayout(c->device, &pl, NULL, &p->layout), "vkCreatePipelineLayout");
	return OK;
}

static anv_status create_pipeline(anv_ctx *c, const void *code, size_t size, const uint32_t *spec,
	uint32_t nspec, anv_pipeline *p) {
	VkShaderModuleCreateInfo sm = {VK_STRUCTURE_TYPE_SHADER_MODULE_CREATE_INFO};
	sm.codeSize = size;
	sm.pCode = code;
	CHECK(c->fn.vkCreateShaderModule(c->device, &sm, NULL, &p->module), "vkCreateShaderModule");
	VkSpecializationMapEntry entries[ANV_MAX_SPEC];
	if (nspec > ANV_MAX_SPEC) return FAIL(VK_ERROR_UNKNOWN, "vkCreateComputePipelines");
	for (uint32_t i = 0; i < nspec; i++) entries[i] = (VkSpecializationMapEntry){i, 4 * i, 4};
	VkSpecializationInfo si = {nspec, entries, 4 * (size_t)nspec, spec};
	VkComputePipelineCreateInfo info = {VK_STRUCTURE_TYPE_COMPUTE_PIPELINE_CREATE_INFO};
	info.stage.sType = VK_STRUCTURE_TYPE_PIPELINE_SHADER_STAGE_CREATE_INFO;
	info.stage.stage = VK_SHADER_STAGE_COMPUTE_BIT;
	info.stage.module = p->module;
	info.stage.pName = "main";
	info.stage.pSpecializationInfo = nspec ? &si : NULL;
	info.layout = p->layout;
	CHECK(c->fn.vkCreateComputePipelines(c->device, c->cache, 1, &info, NULL, &p->pipeline),
		"vkCreateComputePipelines");
	return OK;
}

anv_status anv_pipeline_create(anv_ctx *c, const void *code, size_t size, uint32_t bindings,
	uint32_t push, const uint32_t *spec, uint32_t nspec, anv_pipeline *out) {
	memset(out, 0, sizeof *out);
	anv_status s = create_layouts(c, bindings, push, out);
	if (s.result == VK_SUCCESS) s = create_pipeline(c, code, size, spec, nspec, out);
	if (s.result != VK_SUCCESS) anv_pipeline_destroy(c, out);
	return s;
}

// cache_header_matches reports whether data starts with a pipeline cache
// header (version one) written by this very device and driver: vendor,
// device and pipelineCacheUUID. Drivers should reject foreign data
// themselves; checking first keeps a truncated or foreign file from ever
// reaching one that does not.
static int cache_header_matches(anv_ctx *c, const uint8_t *data, size_t size) {
	if (size < 16 + VK_UUID_SIZE) return 0;
	uint32_t h[4];
	memcpy(h, data, sizeof h);
	VkPhysicalDeviceProperties2 p2 = {VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_PROPERTIES_2};
	c->fn.vkGetPhysicalDeviceProperties2(c->physical, &p2);
	return h[0] >= 16 + VK_UUID_SIZE && h[0] <= size && h[1] == VK_PIPELINE_CACHE_HEADER_VERSION_ONE &&
		h[2] == p2.properties.vendorID && h[3] == p2.properties.deviceID &&
		memcmp(data + 16, p2.properties.pipelineCacheUUID, VK_UUID_SIZE) == 0;
}

anv_status anv_pipeline_cache_create(anv_ctx *c, const void *data, size_t size, int *used) {
	*used = data && cache_header_matches(c, data, size);
	VkPipelineCacheCreateInfo info = {VK_STRUCTURE_TYPE_PIPELINE_CACHE_CREATE_INFO};
	if (*used) {
		info.initialDataSize = size;
		info.pInitialData = data;
	}
	VkPipelineCache cache;
	CHECK(c->fn.vkCreatePipelineCache(c->device, &info, NULL, &cache), "vkCreatePipelineCache");
	if (c->cache) c->fn.vkDestroyPipelineCache(c->device, c->cache, NULL);
	c->cache = cache;
	return OK;
}

anv_status anv_pipeline_cache_data(anv_ctx *c, void *data, size_t *size) {
	if (!c->cache) {
		*size = 0;
		return OK;
	}
	VkResult r = c->fn.vkGetPipelineCacheData(c->device, c->cache, size, data);
	if (r == VK_INCOMPLETE) r = VK_SUCCESS; // the cache grew between the two calls: keep what fit
	CHECK(r, "vkGetPipelineCacheData");
	return OK;
}

void anv_pipeline_destroy(anv_ctx *c, anv_pipeline *p) {
	c->fn.vkDestroyPipeline(c->device, p->pipeline, NULL);
	c->fn.vkDestroyPipelineLayout(c->device, p->layout, NULL);
	c->fn.vkDestroyDescriptorSetLayout(c->device, p->set_layout, NULL);
	c->fn.vkDestroyShaderModule(c->device, p->module, NULL);
}

anv_status anv_pool_create(anv_ctx *c, uint32_t sets, uint32_t descriptors, uint64_t *pool) {
	VkDescriptorPoolSize size = {VK_DESCRIPTOR_TYPE_STORAGE_BUFFER, descriptors};
	VkDescriptorPoolCreateInfo info = {VK_STRUCTURE_TYPE_DESCRIPTOR_POOL_CREATE_INFO};
	info.flags = VK_DESCRIPTOR_POOL_CREATE_FREE_DESCRIPTOR_SET_BIT;
	info.maxSets = sets;
	info.poolSizeCount = 1;
	info.pPoolSizes = &size;
	CHECK(c->fn.vkCreateDescriptorPool(c->device, &info, NULL, pool), "vkCreateDescriptorPool");
	return OK;
}

void anv_pool_destroy(anv_ctx *c, uint64_t pool) { c->fn.vkDestroyDescriptorPool(c->device, pool, NULL); }

anv_status anv_set_create(anv_ctx *c, uint64_t pool, uint64_t layout, const uint64_t *bufs, uint32_t n,
	uint64_t *set) {
	VkDescriptorBufferInfo b[ANV_MAX_BINDINGS];
	if (n > ANV_MAX_BINDINGS) return FAIL(VK_ERROR_UNKNOWN, "vkUpdateDescriptorSets");
	VkDescriptorSetLayout l = layout;
	VkDescriptorSetAllocateInfo info = {VK_STRUCTURE_TYPE_DESCRIPTOR_SET_ALLOCATE_INFO, NULL, pool, 1, &l};
	CHECK(c->fn.vkAllocateDescriptorSets(c->device, &info, set), "vkAllocateDescriptorSets");
	for (uint32_t i = 0; i < n; i++) b[i] = (VkDescriptorBufferInfo){bufs[i], 0, VK_WHOLE_SIZE};
	// One write spanning consecutive bindings of the same type fills them all.
	VkWriteDescriptorSet w = {VK_STRUCTURE_TYPE_WRITE_DESCRIPTOR_SET};
	w.dstSet = *set;
	w.descriptorCount = n;
	w.descriptorType = VK_DESCRIPTOR_TYPE_STORAGE_BUFFER;
	w.pBufferInfo = b;
	if (n) c->fn.vkUpdateDescriptorSets(c->device, 1, &w, 0, NULL);
	return OK;
}

anv_status anv_set_free(anv_ctx *c, uint64_t pool, uint64_t set) {
	VkDescriptorSet s = set;
	CHECK(c->fn.vkFreeDescriptorSets(c->device, pool, 1, &s), "vkFreeDescriptorSets");
	return OK;
}

anv_status anv_cmd_create(anv_ctx *c, int timestamps, anv_cmd **out) {
	anv_cmd *cmd = calloc(1, sizeof *cmd);
	*out = cmd;
	VkCommandBufferAllocateInfo info = {VK_STRUCTURE_TYPE_COMMAND_BUFFER_ALLOCATE_INFO, NULL, c->pool,
		VK_COMMAND_BUFFER_LEVEL_PRIMARY, 1};
	CHECK(c->fn.vkAllocateCommandBuffers(c->device, &info, &cmd->cb), "vkAllocateCommandBuffers");
	VkFenceCreateInfo fence = {VK_STRUCTURE_TYPE_FENCE_CREATE_INFO};
	CHECK(c->fn.vkCreateFence(c->device, &fence, NULL, &cmd->fence), "vkCreateFence");
	if (timestamps) {
		VkQueryPoolCreateInfo q = {VK_STRUCTURE_TYPE_QUERY_POOL_CREATE_INFO};
		q.queryType = VK_QUERY_TYPE_TIMESTAMP;
		q.queryCount = 2;
		CHECK(c->fn.vkCreateQueryPool(c->device, &q, NULL, &cmd->queries), "vkCreateQueryPool");
	}
	return OK;
}

void anv_cmd_destroy(anv_ctx *c, anv_cmd *cmd) {
	c->fn.vkDestroyQueryPool(c->device, cmd->queries, NULL);
	c->fn.vkDestroyFence(c->device, cmd->fence, NULL);
	if (cmd->cb) c->fn.vkFreeCommandBuffers(c->device, c->pool, 1, &cmd->cb);
	free(cmd);
}

// anv_cmd_begin starts recording. No ONE_TIME_SUBMIT: the buffer is replayed.
anv_status anv_cmd_begin(anv_ctx *c, anv_cmd *cmd) {
	VkCommandBufferBeginInfo info = {VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO};
	CHECK(c->fn.vkBeginCommandBuffer(cmd->cb, &info), "vkBeginCommandBuffer");
	if (cmd->queries) {
		c->fn.vkCmdResetQueryPool(cmd->cb, cmd->queries, 0, 2);
		c->fn.vkCmdWriteTimestamp(cmd->cb, VK_PIPELINE_STAGE_TOP_OF_PIPE_BIT, cmd->queries, 0);
	}
	return OK;
}

anv_status anv_cmd_end(anv_ctx *c, anv_cmd *cmd) {
	if (cmd->queries) c->fn.vkCmdWriteTimestamp(cmd->cb, VK_PIPELINE_STAGE_BOTTOM_OF_PIPE_BIT, cmd->queries, 1);
	CHECK(c->fn.vkEndCommandBuffer(cmd->cb), "vkEndCommandBuffer");
	return OK;
}

void anv_cmd_dispatch(anv_ctx *c, anv_cmd *cmd, const anv_pipeline *p, uint64_t set, const void *push,
	uint32_t push_size, uint32_t x, uint32_t y, uint32_t z) {
	VkDescriptorSet s = set;
	c->fn.vkCmdBindPipeline(cmd->cb, VK_PIPELINE_BIND_POINT_COMPUTE, p->pipeline);
	c->fn.vkCmdBindDescriptorSets(cmd->cb, VK_PIPELINE_BIND_POINT_COMPUTE, p->layout, 0, 1, &s, 0, NULL);
	if (push_size) c->fn.vkCmdPushConstants(cmd->cb, p->layout, VK_SHADER_STAGE_COMPUTE_BIT, 0, push_size, push);
	c->fn.vkCmdDispatch(cmd->cb, x, y, z);
}

void anv_cmd_barrier(anv_ctx *c, anv_cmd *cmd, uint32_t src_stage, uint32_t src_access, uint32_t dst_stage,
	uint32_t dst_access) {
	VkMemoryBarrier b = {VK_STRUCTURE_TYPE_MEMORY_BARRIER, NULL, src_access, dst_access};
	c->fn.vkCmdPipelineBarrier(cmd->cb, src_stage, dst_stage, 0, 1, &b, 0, NULL, 0, NULL);
}

void anv_cmd_copy(anv_ctx *c, anv_cmd *cmd, uint64_t src, uint64_t dst, uint64_t src_off, uint64_t dst_off,
	uint64_t size) {
	VkBufferCopy region = {src_off, dst_off, size};
	c->fn.vkCmdCopyBuffer(cmd->cb, src, dst, 1, &region);
}

void anv_cmd_fill(anv_ctx *c, anv_cmd *cmd, uint64_t buf, uint64_t off, uint64_t size, uint32_t value) {
	c->fn.vkCmdFillBuffer(cmd->cb, buf, off, size, value);
}

anv_status anv_cmd_submit(anv_ctx *c, anv_cmd *cmd) {
	VkSubmitInfo info = {VK_STRUCTURE_TYPE_SUBMIT_INFO};
	info.commandBufferCount = 1;
	info.pCommandBuffers = &cmd->cb;
	CHECK(c->fn.vkQueueSubmit(c->queue, 1, &info, cmd->fence), "vkQueueSubmit");
	return OK;
}

// anv_cmd_submit_group submits n command buffers in one vkQueueSubmit,
// in order, signalling the fence of the last one.
anv_status anv_cmd_submit_group(anv_ctx *c, anv_cmd *const *cmds, uint32_t n) {
	VkCommandBuffer cbs[ANV_MAX_GROUP];
	if (n == 0 || n > ANV_MAX_GROUP) return FAIL(VK_ERROR_UNKNOWN, "vkQueueSubmit");
	for (uint32_t i = 0; i < n; i++) cbs[i] = cmds[i]->cb;
	VkSubmitInfo info = {VK_STRUCTURE_TYPE_SUBMIT_INFO};
	info.commandBufferCount = n;
	info.pCommandBuffers = cbs;
	CHECK(c->fn.vkQueueSubmit(c->queue, 1, &info, cmds[n - 1]->fence), "vkQueueSubmit");
	return OK;
}

anv_status anv_cmd_wait(anv_ctx *c, anv_cmd *cmd, uint64_t timeout_ns) {
	CHECK(c->fn.vkWaitForFences(c->device, 1, &cmd->fence, VK_TRUE, timeout_ns), "vkWaitForFences");
	CHECK(c->fn.vkResetFences(c->device, 1, &cmd->fence), "vkResetFences");
	return OK;
}

anv_status anv_cmd_timestamps(anv_ctx *c, anv_cmd *cmd, uint64_t out[2]) {
	CHECK(c->fn.vkGetQueryPoolResults(c->device, cmd->queries, 0, 2, 2 * sizeof(uint64_t), out, sizeof(uint64_t),
		VK_QUERY_RESULT_64_BIT | VK_QUERY_RESULT_WAIT_BIT), "vkGetQueryPoolResults");
	return OK;
}
