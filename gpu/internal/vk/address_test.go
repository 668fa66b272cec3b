package vk

import (
	"errors"
	"os"
	"testing"
)

// TestBufferAddress checks bufferDeviceAddress: where the device offers
// it (lavapipe does), every buffer has a nonzero address and distinct live
// buffers have disjoint address ranges; Options.NoBufferAddress turns it
// off, and then addresses are 0. Validation (ANVIL_VK_VALIDATION=1) checks
// the feature, usage and allocation flags along the way.
func TestBufferAddress(t *testing.T) {
	d := openTest(t)
	if !d.Info().BufferAddress {
		t.Skipf("%s has no bufferDeviceAddress (or ANVIL_VK_BUFFER_ADDRESS=0)", d.Info().Name)
	}
	var bufs []*Buffer
	for _, size := range []int64{4, 1000, 1 << 16, 12} {
		b, err := d.NewBuffer(size, DeviceMemory)
		must(t, err)
		bufs = append(bufs, b)
	}
	for i, a := range bufs {
		if a.Address() == 0 {
			t.Fatalf("buffer %d has address 0", i)
		}
		for _, b := range bufs[i+1:] {
			if a.Address() < b.Address()+uint64(b.Size()) && b.Address() < a.Address()+uint64(a.Size()) {
				t.Errorf("buffers at %#x (%d bytes) and %#x (%d bytes) overlap",
					a.Address(), a.Size(), b.Address(), b.Size())
			}
		}
	}

	off, err := Open(Options{NoBufferAddress: true})
	if errors.Is(err, ErrUnavailable) && os.Getenv("ANVIL_REQUIRE_VULKAN") != "1" {
		t.Skip(err)
	}
	must(t, err)
	defer off.Close()
	if off.Info().BufferAddress {
		t.Errorf("NoBufferAddress: Info().BufferAddress is still true")
	}
	b, err := off.NewBuffer(16, DeviceMemory)
	must(t, err)
	if b.Address() != 0 {
		t.Errorf("NoBufferAddress: a buffer has address %#x, want 0", b.Address())
	}
}
