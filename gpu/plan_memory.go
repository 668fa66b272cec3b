package gpu

import (
	"fmt"

	"github.com/anvil-ml/anvil/tensor"
)

// checkPlanMemory refuses, before anything is allocated, a plan whose
// buffers cannot fit in the free space of the device's roomiest
// device-local heap even packed tightly; the allocator would otherwise
// fail part-way through, after allocating (and then freeing) the rest.
// Blocks round allocations up, so passing this check does not promise
// success; the allocator still reports what does not fit.
func checkPlanMemory(dev *Device, plan *tensor.Plan) error {
	m := dev.mem
	heap, free := -1, uint64(0)
	for i, h := range m.heaps {
		if h.flags&vkMemoryHeapDeviceLocal == 0 {
			continue
		}
		if f := h.size - min(m.heapUsed[i], h.size); heap < 0 || f > free {
			heap, free = i, f
		}
	}
	if heap < 0 {
		return nil
	}
	sum := uint64(0)
	for i, b := range plan.Buffers {
		bytes := max(uint64(plan.Elems(tensor.BufferID(i)))*4, 4)
		if sum += bytes; sum > free {
			oom := &OutOfMemoryError{Device: m.device, Requested: bytes, InUse: m.heapUsed[heap], HeapSize: m.heaps[heap].size}
			return fmt.Errorf("gpu: the plan's buffers need %s in all, and buffer %q (%s) is the first that does not fit: %w",
				formatBytes(uint64(plan.Bytes())), b.Name, formatBytes(bytes), oom)
		}
	}
	return nil
}
