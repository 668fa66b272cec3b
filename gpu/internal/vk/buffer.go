package vk

import (
	"fmt"
	"unsafe"
)

// Buffer is a storage buffer: a shader binding, a copy source and a copy
// destination. Its size is rounded up to a multiple of 4 bytes.
type Buffer struct {
	dev    *Device
	handle uint64
	size   int64
	kind   MemoryKind
	alloc  allocation
	host   []byte // the mapped view, nil when the host must go through staging
}

// NewBuffer allocates a buffer of size bytes. Its contents start undefined.
func (d *Device) NewBuffer(size int64, kind MemoryKind) (*Buffer, error) {
	if err := d.Usable(); err != nil {
		return nil, err
	}
	if size <= 0 {
		return nil, fmt.Errorf("gpu: buffer size %d must be positive", size)
	}
	size = int64(alignUp(uint64(size), 4))
	handle, req, err := d.drv.createBuffer(uint64(size))
	if isResult(err, vkErrorOutOfDeviceMemory) || isResult(err, vkErrorOutOfHostMemory) {
		return nil, d.mem.outOfMemory(chooseType(d.mem.types, ^uint32(0), kind), uint64(size), err)
	}
	if err != nil {
		return nil, fmt.Errorf("gpu: creating a %s buffer: %w", FormatBytes(uint64(size)), err)
	}
	a, err := d.mem.alloc(req, kind)
	if err != nil {
		d.drv.destroyBuffer(handle)
		return nil, err
	}
	if err := d.drv.bindBuffer(handle, a.block.mem, a.offset); err != nil {
		d.mem.free(a)
		d.drv.destroyBuffer(handle)
		return nil, fmt.Errorf("gpu: binding buffer memory: %w", err)
	}
	b := &Buffer{dev: d, handle: handle, size: size, kind: kind, alloc: a}
	if host := a.hostBytes(); host != nil && !(kind == DeviceMemory && d.forceStaging) {
		b.host = host[:size]
	}
	d.track(b)
	return b, nil
}

// Size is the buffer's size in bytes.
func (b *Buffer) Size() int64 { return b.size }

// Kind is the memory the buffer lives in.
func (b *Buffer) Kind() MemoryKind { return b.kind }

// Address is the buffer's device address (vkGetBufferDeviceAddress), by
// which a shader using GL_EXT_buffer_reference reaches it without a
// binding; 0 unless the device's Info().BufferAddress.
func (b *Buffer) Address() uint64 {
	if b == nil || b.dev == nil || !b.dev.phys.info.BufferAddress {
		return 0
	}
	return b.dev.drv.bufferAddress(b.handle)
}

// Mapped is the host's view of a host-visible buffer, or nil. Writes
// through it are seen by commands submitted afterwards; reads see the
// results of commands that have been waited for. Always set for HostMemory.
func (b *Buffer) Mapped() []byte { return b.host }

// Write copies data into the buffer at byte offset off. No submitted
// command may be using the buffer.
func (b *Buffer) Write(off int64, data []byte) error {
	if err := b.check(off, int64(len(data))); err != nil || len(data) == 0 {
		return err
	}
	if b.host != nil {
		copy(b.host[off:], data)
		return nil
	}
	return b.dev.staged(b, off, data, true)
}

// Read copies len(dst) bytes at byte offset off out of the buffer. No
// submitted command may be writing the buffer.
func (b *Buffer) Read(off int64, dst []byte) error {
	if err := b.check(off, int64(len(dst))); err != nil || len(dst) == 0 {
		return err
	}
	if b.host != nil {
		copy(dst, b.host[off:])
		return nil
	}
	return b.dev.staged(b, off, dst, false)
}

// WriteFloat32 copies data to the start of the buffer.
func (b *Buffer) WriteFloat32(data []float32) error { return b.Write(0, float32Bytes(data)) }

// ReadFloat32 fills dst from the start of the buffer.
func (b *Buffer) ReadFloat32(dst []float32) error { return b.Read(0, float32Bytes(dst)) }

// float32Bytes views a float32 slice as its bytes (host byte order, which
// Vulkan uses too).
func float32Bytes(f []float32) []byte {
	if len(f) == 0 {
		return nil
	}
	return unsafe.Slice((*byte)(unsafe.Pointer(&f[0])), 4*len(f))
}

// check validates the byte range [off, off+n) of the buffer.
func (b *Buffer) check(off, n int64) error {
	if b == nil || b.dev == nil {
		return fmt.Errorf("gpu: use of a closed buffer")
	}
	if off < 0 || n < 0 || off+n > b.size {
		return fmt.Errorf("gpu: bytes [%d, %d) are outside a buffer of %d bytes", off, off+n, b.size)
	}
	return b.dev.Usable()
}

// Close releases the buffer. Commands that use it must not run again.
func (b *Buffer) Close() error {
	if b == nil || b.dev == nil {
		return nil
	}
	b.release()
	return nil
}

func (b *Buffer) release() {
	b.dev.drv.destroyBuffer(b.handle)
	b.dev.mem.free(b.alloc)
	b.dev.forget(b)
	b.dev, b.host = nil, nil
}
