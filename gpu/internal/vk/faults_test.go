package vk

import (
	"errors"
	"strings"
	"testing"

	"github.com/anvil-ml/anvil/internal/faults"
)

// TestInjectedDeviceLoss checks the test hook the backend's failure tests
// rely on: the chosen submission fails with VK_ERROR_DEVICE_LOST, the
// device then refuses all work at once, and it still closes.
func TestInjectedDeviceLoss(t *testing.T) {
	d := openTest(t)
	buf := newFloatBuffer(t, d, []float32{1, 2, 3, 4})
	c, err := d.NewCommands()
	must(t, err)
	must(t, c.Begin())
	c.Fill(buf, 0, 16, 0)
	must(t, c.End())
	t.Cleanup(func() { faults.FailSubmitAfter(0, faults.None) })
	faults.FailSubmitAfter(2, faults.DeviceLost)
	before := d.Submissions()
	must(t, c.Run())
	err = c.Run()
	if !errors.Is(err, ErrDeviceLost) || !strings.Contains(err.Error(), "VK_ERROR_DEVICE_LOST") {
		t.Fatalf("second submission: %v, want the injected device loss", err)
	}
	if got := d.Submissions() - before; got != 1 {
		t.Errorf("%d submissions counted, want 1", got)
	}
	if err := c.Run(); !errors.Is(err, ErrDeviceLost) {
		t.Errorf("a submission after the loss: %v", err)
	}
	if _, err := d.NewBuffer(4, DeviceMemory); !errors.Is(err, ErrDeviceLost) {
		t.Errorf("NewBuffer after the loss: %v", err)
	}
	if err := c.Close(); err != nil {
		t.Errorf("closing commands after the loss: %v", err)
	}
}

// TestInjectedOutOfMemory: an out-of-memory submission is reported as
// such and leaves the device usable.
func TestInjectedOutOfMemory(t *testing.T) {
	d := openTest(t)
	buf := newFloatBuffer(t, d, []float32{1})
	c, err := d.NewCommands()
	must(t, err)
	must(t, c.Begin())
	c.Fill(buf, 0, 4, 0)
	must(t, c.End())
	t.Cleanup(func() { faults.FailSubmitAfter(0, faults.None) })
	faults.FailSubmitAfter(1, faults.OutOfMemory)
	var de *DeviceError
	if err := c.Run(); !errors.As(err, &de) || de.Lost || !strings.Contains(err.Error(), "ran out of memory") {
		t.Fatalf("injected out-of-memory: %v", err)
	}
	must(t, c.Run())
}
