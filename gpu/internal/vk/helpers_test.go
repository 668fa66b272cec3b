package vk

import (
	"errors"
	"math/rand/v2"
	"os"
	"strings"
	"testing"
)

// openTest opens the device the environment selects. It skips the test when
// this machine has no Vulkan, unless ANVIL_REQUIRE_VULKAN=1, and fails the
// test on any validation message the test caused.
func openTest(t *testing.T) *Device {
	t.Helper()
	d, err := Open(Options{})
	if errors.Is(err, ErrUnavailable) && os.Getenv("ANVIL_REQUIRE_VULKAN") != "1" {
		t.Skipf("no Vulkan (set ANVIL_REQUIRE_VULKAN=1 to fail instead): %v", err)
	}
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	if os.Getenv("ANVIL_VK_VALIDATION") == "1" && !d.Validation() {
		t.Fatalf("ANVIL_VK_VALIDATION=1 but validation is off")
	}
	t.Cleanup(func() {
		if msgs := d.ValidationMessages(); len(msgs) > 0 {
			t.Errorf("%d validation messages:\n%s", len(msgs), strings.Join(msgs, "\n"))
		}
		if err := d.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return d
}

// randomFloats returns n values in [-1, 1) from a fixed seed.
func randomFloats(n int, seed uint64) []float32 {
	r := rand.New(rand.NewPCG(seed, 1))
	out := make([]float32, n)
	for i := range out {
		out[i] = 2*r.Float32() - 1
	}
	return out
}

// must fails the test on a non-nil error.
func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// newFloatBuffer allocates a buffer holding data.
func newFloatBuffer(t *testing.T, d *Device, data []float32) *Buffer {
	t.Helper()
	b, err := d.NewBuffer(int64(4*len(data)), DeviceMemory)
	must(t, err)
	must(t, b.WriteFloat32(data))
	return b
}
