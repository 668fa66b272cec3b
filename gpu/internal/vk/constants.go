package vk

// Vulkan constants the Go side needs, copied from vulkan_core.h so that the
// untagged code compiles without cgo. Nothing checks them at compile time:
// vk_cgo.go's headerConstants pairs each with the header's value, and
// TestHeaderConstants fails when a pair differs (in a cgo build only).
const (
	vkPhysicalDeviceTypeOther         = 0
	vkPhysicalDeviceTypeIntegratedGPU = 1
	vkPhysicalDeviceTypeDiscreteGPU   = 2
	vkPhysicalDeviceTypeVirtualGPU    = 3
	vkPhysicalDeviceTypeCPU           = 4

	vkQueueGraphics = 0x1
	vkQueueCompute  = 0x2

	vkMemoryDeviceLocal     = 0x1
	vkMemoryHostVisible     = 0x2
	vkMemoryHostCoherent    = 0x4
	vkMemoryHostCached      = 0x8
	vkMemoryHeapDeviceLocal = 0x1

	vkStageComputeShader = 0x800
	vkStageTransfer      = 0x1000
	vkStageHost          = 0x4000

	vkAccessShaderRead    = 0x20
	vkAccessShaderWrite   = 0x40
	vkAccessTransferRead  = 0x800
	vkAccessTransferWrite = 0x1000
	vkAccessHostRead      = 0x2000

	vkComponentTypeFloat16 = 0
	vkComponentTypeFloat32 = 1
	vkScopeSubgroup        = 3
)
