package vk

import (
	"errors"
	"strings"
	"testing"
	"unsafe"
)

func TestChooseType(t *testing.T) {
	const (
		dl  = vkMemoryDeviceLocal
		hv  = vkMemoryHostVisible | vkMemoryHostCoherent
		hvc = hv | vkMemoryHostCached
	)
	discrete := []memoryType{{flags: dl}, {flags: hv, heap: 1}, {flags: hvc, heap: 1}, {flags: dl | hv}}
	unified := []memoryType{{flags: dl | hvc}}
	noDeviceLocal := []memoryType{{flags: hv}}
	tests := []struct {
		name    string
		types   []memoryType
		allowed uint32
		kind    MemoryKind
		want    int
	}{
		{"discrete device", discrete, 0xf, DeviceMemory, 0},
		{"discrete device, rebar only", discrete, 0x8, DeviceMemory, 3},
		{"discrete host prefers cached", discrete, 0xf, HostMemory, 2},
		{"discrete host, uncached only", discrete, 0x3, HostMemory, 1},
		{"unified device", unified, 0x1, DeviceMemory, 0},
		{"unified host", unified, 0x1, HostMemory, 0},
		{"no device-local memory", noDeviceLocal, 0x1, DeviceMemory, 0},
		{"nothing allowed", discrete, 0x1, HostMemory, -1},
	}
	for _, tt := range tests {
		if got := chooseType(tt.types, tt.allowed, tt.kind); got != tt.want {
			t.Errorf("%s: chooseType = %d, want %d", tt.name, got, tt.want)
		}
	}
}

// fakeMemory is a driver that only allocates memory, and refuses beyond
// its budget the way a real device would.
type fakeMemory struct {
	driver
	budget, used uint64
	sizes        map[uint64]uint64
	next         uint64
}

func (f *fakeMemory) allocMemory(size uint64, _ int, _ bool) (uint64, unsafe.Pointer, error) {
	if f.used+size > f.budget {
		return 0, nil, &VkError{Call: "vkAllocateMemory", Result: vkErrorOutOfDeviceMemory}
	}
	f.next++
	f.used += size
	f.sizes[f.next] = size
	return f.next, nil, nil
}

func (f *fakeMemory) freeMemory(mem uint64) { f.used -= f.sizes[mem]; delete(f.sizes, mem) }

func fakeAllocator(heap, budget uint64) (*allocator, *fakeMemory) {
	f := &fakeMemory{budget: budget, sizes: map[uint64]uint64{}}
	p := physicalDevice{info: Info{Name: "Fake GPU"}, types: []memoryType{{flags: vkMemoryDeviceLocal}},
		heaps: []memoryHeap{{size: heap, flags: vkMemoryHeapDeviceLocal}}, limits: limits{maxAllocationSize: 1 << 32}}
	return newAllocator(f, p), f
}

func TestAllocatorSharesBlocks(t *testing.T) {
	m, f := fakeAllocator(1<<30, 1<<30)
	var allocs []allocation
	for range 100 {
		a, err := m.alloc(memRequirements{size: 1000, alignment: 256, typeBits: 1}, DeviceMemory)
		must(t, err)
		allocs = append(allocs, a)
	}
	if len(f.sizes) != 1 {
		t.Errorf("100 small buffers used %d allocations, want 1", len(f.sizes))
	}
	for _, a := range allocs {
		m.free(a)
	}
	if len(f.sizes) != 0 || m.inUse() != 0 {
		t.Errorf("after freeing all: %d allocations, %d bytes in use", len(f.sizes), m.inUse())
	}
}

func TestAllocatorOutOfMemory(t *testing.T) {
	m, _ := fakeAllocator(1<<30, 1<<30)
	_, err := m.alloc(memRequirements{size: 3 << 30, alignment: 256, typeBits: 1}, DeviceMemory)
	var oom *OutOfMemoryError
	if !errors.As(err, &oom) || oom.Requested != 3<<30 || oom.HeapSize != 1<<30 {
		t.Fatalf("3 GiB on a 1 GiB heap: got %v, want an OutOfMemoryError", err)
	}
	for _, want := range []string{"Fake GPU", "3.0 GiB", "1.0 GiB heap", "reduce the batch size"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
	// The heap claims room, but the driver refuses: still an OutOfMemoryError.
	m, _ = fakeAllocator(1<<30, 1<<20)
	_, err = m.alloc(memRequirements{size: 1 << 24, alignment: 256, typeBits: 1}, DeviceMemory)
	if !errors.As(err, &oom) || !isResult(err, vkErrorOutOfDeviceMemory) {
		t.Errorf("driver refusal: got %v, want an OutOfMemoryError wrapping VK_ERROR_OUT_OF_DEVICE_MEMORY", err)
	}
}

func TestFormatBytes(t *testing.T) {
	for n, want := range map[uint64]string{0: "0 B", 1023: "1023 B", 1024: "1.0 KiB", 3 << 29: "1.5 GiB"} {
		if got := FormatBytes(n); got != want {
			t.Errorf("FormatBytes(%d) = %q, want %q", n, got, want)
		}
	}
}
