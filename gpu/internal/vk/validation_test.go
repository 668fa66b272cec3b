package vk

import (
	"strings"
	"testing"
)

// TestValidationCatchesMisuse proves the messenger works: a deliberately
// invalid call must produce a message, and draining must forget it.
func TestValidationCatchesMisuse(t *testing.T) {
	d := openTest(t)
	if !d.Validation() {
		t.Skip("validation is off; run with ANVIL_VK_VALIDATION=1")
	}
	pool, err := d.drv.createDescriptorPool(0, 0) // maxSets must be > 0
	if err == nil {
		d.drv.destroyDescriptorPool(pool)
	}
	msgs := d.ValidationMessages()
	if !strings.Contains(strings.Join(msgs, "\n"), "maxSets") {
		t.Fatalf("no validation message about maxSets; got %q", msgs)
	}
	if again := d.ValidationMessages(); len(again) != 0 {
		t.Errorf("messages were not drained: %q", again)
	}
}

// TestSynchronizationValidation proves synchronization validation is on: a
// dispatch that reads what a Fill wrote, with no barrier between, is a
// read-after-write hazard.
func TestSynchronizationValidation(t *testing.T) {
	d := openTest(t)
	if !d.Validation() {
		t.Skip("validation is off; run with ANVIL_VK_VALIDATION=1")
	}
	x, err := d.NewBuffer(256, DeviceMemory)
	must(t, err)
	y, err := d.NewBuffer(256, DeviceMemory)
	must(t, err)
	p, err := d.NewPipeline(PipelineSpec{Shader: "axpy", Bindings: 2, PushBytes: 8, Constants: []uint32{64}})
	must(t, err)
	set, err := p.Bind(x, y)
	must(t, err)
	c, err := d.NewCommands()
	must(t, err)
	must(t, c.Begin())
	c.Fill(x, 0, 256, 0)
	c.Dispatch(set, Push{}.Uint32(64).Float32(1), 1, 1, 1) // missing Barrier(Transfer, Compute)
	must(t, c.End())
	msgs := strings.Join(d.ValidationMessages(), "\n")
	if !strings.Contains(msgs, "SYNC-HAZARD-READ") {
		t.Fatalf("no read-after-write hazard reported; got %q", msgs)
	}
}
