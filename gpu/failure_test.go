package gpu

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/anvil-ml/anvil/internal/faults"
	"github.com/anvil-ml/anvil/tensor"
)

// TestDeviceLostMidRun injects VK_ERROR_DEVICE_LOST at the second
// submission of a run of chunks: the program reports it clearly (what
// happened, and that it is a device failure), keeps
// reporting it from every later call without waiting on the device, and
// still closes.
func TestDeviceLostMidRun(t *testing.T) {
	b := openBackend(t)
	const batch, count = 4, 16
	r := newResidentPlan(batch, count, 3, 2)
	prog := loadResident(t, b, r, newResidentData(count, 3, 2, 1))
	steps := epochSteps(batch, count, 3)
	t.Cleanup(func() { faults.FailSubmitAfter(0, faults.None) })
	faults.FailSubmitAfter(2, faults.DeviceLost)

	must(t, prog.RunSteps(tensor.Train, steps[:4]))
	err := prog.RunSteps(tensor.Train, steps[4:8])
	if err == nil {
		t.Fatal("RunSteps after an injected device loss succeeded")
	}
	for _, want := range []string{"VK_ERROR_DEVICE_LOST", "was lost"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
	if !errors.Is(err, ErrDeviceLost) || !IsDeviceFailure(err) {
		t.Errorf("error %v does not wrap ErrDeviceLost or is no device failure", err)
	}
	t.Logf("the error: %v", err)
	start := time.Now()
	later := map[string]error{
		"RunSteps": prog.RunSteps(tensor.Train, steps[8:]),
		"Run":      prog.Run(tensor.Train, steps[0]),
		"Read":     prog.Read(r.w, make([]float32, 1)),
		"Write":    prog.Write(r.w, make([]float32, 1)),
		"Upload":   prog.Upload(r.order, 0, make([]byte, 4)),
	}
	for name, err := range later {
		if !errors.Is(err, ErrDeviceLost) {
			t.Errorf("%s after the loss: %v, want the device-lost error", name, err)
		}
	}
	if _, err := b.Compile(r.p); !errors.Is(err, ErrDeviceLost) {
		t.Errorf("Compile on a lost device: %v, want the device-lost error", err)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("calls after the loss took %v: they must fail at once", d)
	}
	if s := prog.Stats(); s.Submissions != 1 {
		t.Errorf("%d submissions counted, want the 1 that succeeded", s.Submissions)
	}
	prog.Close()
}

// TestOutOfMemoryMidRun injects VK_ERROR_OUT_OF_DEVICE_MEMORY at a Run's
// submission: a clear error that ends the program.
func TestOutOfMemoryMidRun(t *testing.T) {
	b := openBackend(t)
	r := newResidentPlan(4, 8, 3, 2)
	prog := loadResident(t, b, r, newResidentData(8, 3, 2, 1))
	t.Cleanup(func() { faults.FailSubmitAfter(0, faults.None) })
	faults.FailSubmitAfter(1, faults.OutOfMemory)
	a := tensor.StepArgs{Rows: 4, Start: 0, Step: 1, LearningRate: 0.01}
	err := prog.Run(tensor.Train, a)
	for _, want := range []string{"VK_ERROR_OUT_OF_DEVICE_MEMORY", "ran out of memory", "reduce the batch size"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error %v lacks %q", err, want)
		}
	}
	if !IsDeviceFailure(err) || errors.Is(err, ErrDeviceLost) {
		t.Errorf("error %v: want a device failure that is not a loss", err)
	}
	if IsDeviceFailure(errors.New("gpu: bad shape")) {
		t.Error("an ordinary error counted as a device failure")
	}
	if err2 := prog.RunSteps(tensor.Train, []tensor.StepArgs{a}); err2 == nil || err2.Error() != err.Error() {
		t.Errorf("RunSteps after the failure: %v, want the same error", err2)
	}
}
