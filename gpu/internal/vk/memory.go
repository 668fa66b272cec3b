package vk

import (
	"fmt"
	"unsafe"
)

// MemoryKind says where a buffer lives.
type MemoryKind int

const (
	// DeviceMemory is the memory shaders reach fastest. On a device with
	// unified memory (lavapipe, most integrated GPUs) it is also host-visible
	// and Buffer.Write and Read copy directly; elsewhere they go through a
	// staging buffer.
	DeviceMemory MemoryKind = iota
	// HostMemory is host-visible, coherent memory, mapped for the buffer's
	// whole life: staging for uploads, per-step arguments, readback.
	HostMemory
)

func (k MemoryKind) String() string {
	if k == HostMemory {
		return "host"
	}
	return "device"
}

// defaultBlockSize is how much memory one vkAllocateMemory call reserves
// for buffers to share. Devices may allow as few as 4096 allocations.
const defaultBlockSize = 64 << 20

// allocator sub-allocates buffers from a few large memory blocks.
type allocator struct {
	drv      driver
	device   string // name, for error messages
	types    []memoryType
	heaps    []memoryHeap
	heapUsed []uint64
	maxSize  uint64
	blocks   []*block
}

// block is one vkAllocateMemory allocation, mapped when host-visible.
type block struct {
	mem       uint64
	ptr       unsafe.Pointer
	size      uint64
	typeIndex int
	spans     spans
}

// allocation is a range of a block that one buffer is bound to.
type allocation struct {
	block        *block
	offset, size uint64
}

// hostBytes is the mapped view of the allocation, or nil when it is not
// host-visible.
func (a allocation) hostBytes() []byte {
	if a.block.ptr == nil {
		return nil
	}
	return unsafe.Slice((*byte)(unsafe.Add(a.block.ptr, a.offset)), a.size)
}

func newAllocator(drv driver, p physicalDevice) *allocator {
	return &allocator{drv: drv, device: p.info.Name, types: p.types, heaps: p.heaps,
		heapUsed: make([]uint64, len(p.heaps)), maxSize: p.limits.maxAllocationSize}
}

// chooseType picks the memory type for kind among those req allows.
// Device memory prefers types that are not host-visible (on discrete GPUs
// with a resizable BAR both exist); host memory prefers cached types, which
// are far faster to read back.
func chooseType(types []memoryType, allowed uint32, kind MemoryKind) int {
	need, prefer, avoid := uint32(vkMemoryDeviceLocal), uint32(0), uint32(vkMemoryHostVisible)
	if kind == HostMemory {
		need, prefer, avoid = vkMemoryHostVisible|vkMemoryHostCoherent, vkMemoryHostCached, 0
	}
	best, bestScore := -1, -1
	for i, t := range types {
		if allowed&(1<<i) == 0 || t.flags&need != need {
			continue
		}
		score := 0
		if prefer != 0 && t.flags&prefer != 0 || avoid != 0 && t.flags&avoid == 0 {
			score = 1
		}
		if score > bestScore {
			best, bestScore = i, score
		}
	}
	if best < 0 && kind == DeviceMemory {
		// A device without device-local memory still runs shaders on what it has.
		for i := range types {
			if allowed&(1<<i) != 0 {
				return i
			}
		}
	}
	return best
}

// alloc finds room for req in a block of a suitable type, allocating a new
// block when none has space.
func (m *allocator) alloc(req memRequirements, kind MemoryKind) (allocation, error) {
	t := chooseType(m.types, req.typeBits, kind)
	if t < 0 {
		return allocation{}, fmt.Errorf("gpu: %s has no %s memory type for a buffer (type bits %#x)", m.device, kind, req.typeBits)
	}
	for _, b := range m.blocks {
		if b.typeIndex != t {
			continue
		}
		if off, ok := b.spans.alloc(req.size, req.alignment); ok {
			return allocation{b, off, req.size}, nil
		}
	}
	b, err := m.newBlock(t, req.size)
	if err != nil {
		return allocation{}, err
	}
	off, _ := b.spans.alloc(req.size, req.alignment)
	return allocation{b, off, req.size}, nil
}

// newBlock allocates a block of memory type t that holds at least need bytes.
func (m *allocator) newBlock(t int, need uint64) (*block, error) {
	heap := m.types[t].heap
	if m.maxSize > 0 && need > m.maxSize {
		return nil, fmt.Errorf("gpu: a buffer of %d bytes (%s) exceeds the largest single allocation %s allows, "+
			"%d bytes; reduce the batch size or split the buffer", need, FormatBytes(need), m.device, m.maxSize)
	}
	size := max(need, min(defaultBlockSize, m.heaps[heap].size/8))
	if m.maxSize > 0 {
		size = min(size, m.maxSize)
	}
	if m.heapUsed[heap]+size > m.heaps[heap].size {
		size = need
	}
	if m.heapUsed[heap]+size > m.heaps[heap].size {
		return nil, m.outOfMemory(t, need, nil)
	}
	host := m.types[t].flags&(vkMemoryHostVisible|vkMemoryHostCoherent) == vkMemoryHostVisible|vkMemoryHostCoherent
	mem, ptr, err := m.drv.allocMemory(size, t, host)
	if isResult(err, vkErrorOutOfDeviceMemory) || isResult(err, vkErrorOutOfHostMemory) {
		return nil, m.outOfMemory(t, need, err)
	}
	if err != nil {
		return nil, fmt.Errorf("gpu: allocating %s of memory: %w", FormatBytes(size), err)
	}
	b := &block{mem: mem, ptr: ptr, size: size, typeIndex: t, spans: newSpans(size)}
	m.blocks = append(m.blocks, b)
	m.heapUsed[heap] += size
	return b, nil
}

// outOfMemory explains that need bytes of memory type t (-1: unknown) did
// not fit.
func (m *allocator) outOfMemory(t int, need uint64, cause error) error {
	heap := 0
	if t >= 0 {
		heap = m.types[t].heap
	}
	return &OutOfMemoryError{Device: m.device, Requested: need, InUse: m.heapUsed[heap],
		HeapSize: m.heaps[heap].size, Host: m.heaps[heap].flags&vkMemoryHeapDeviceLocal == 0, Err: cause}
}

// free releases an allocation and returns its block to the driver once the
// block holds nothing else.
func (m *allocator) free(a allocation) {
	b := a.block
	b.spans.release(a.offset, a.size)
	if !b.spans.unused(b.size) {
		return
	}
	m.drv.freeMemory(b.mem)
	m.heapUsed[m.types[b.typeIndex].heap] -= b.size
	for i, x := range m.blocks {
		if x == b {
			m.blocks = append(m.blocks[:i], m.blocks[i+1:]...)
			break
		}
	}
}

// inUse is the number of bytes held in blocks, summed over all heaps.
func (m *allocator) inUse() uint64 {
	var n uint64
	for _, u := range m.heapUsed {
		n += u
	}
	return n
}

// close frees every block, whatever is still allocated from it.
func (m *allocator) close() {
	for _, b := range m.blocks {
		m.drv.freeMemory(b.mem)
	}
	m.blocks = nil
	clear(m.heapUsed)
}

// LimitHeaps makes every memory heap look only extra bytes larger than what
// the device holds of it now, until restore is called, so that a test can
// run out of memory on purpose without filling a real heap.
func (d *Device) LimitHeaps(extra uint64) (restore func()) {
	m := d.mem
	saved := append([]memoryHeap(nil), m.heaps...)
	for i := range m.heaps {
		m.heaps[i].size = m.heapUsed[i] + extra
	}
	return func() { copy(m.heaps, saved) }
}

// DeviceHeap describes the roomiest device-local memory heap: its size,
// and how much of it Anvil already holds.
type DeviceHeap struct {
	Size, InUse uint64
}

// Free is what the heap has left.
func (h DeviceHeap) Free() uint64 { return h.Size - min(h.InUse, h.Size) }

// RoomiestDeviceHeap returns the device-local heap with the most free
// space, or false when the device reports none.
func (d *Device) RoomiestDeviceHeap() (DeviceHeap, bool) {
	m := d.mem
	best, found := DeviceHeap{}, false
	for i, h := range m.heaps {
		if h.flags&vkMemoryHeapDeviceLocal == 0 {
			continue
		}
		if c := (DeviceHeap{Size: h.size, InUse: m.heapUsed[i]}); !found || c.Free() > best.Free() {
			best, found = c, true
		}
	}
	return best, found
}
