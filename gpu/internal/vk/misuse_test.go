package vk

import (
	"strings"
	"testing"
)

// wantErr fails unless err is non-nil and mentions text.
func wantErr(t *testing.T, what string, err error, text string) {
	t.Helper()
	if err == nil || !strings.Contains(err.Error(), text) {
		t.Errorf("%s: got %v, want an error mentioning %q", what, err, text)
	}
}

func TestPipelineMisuse(t *testing.T) {
	d := openTest(t)
	_, err := d.NewPipeline(PipelineSpec{Shader: "nope", Bindings: 1})
	wantErr(t, "unknown shader", err, `no shader "nope"`)
	_, err = d.NewPipeline(PipelineSpec{Code: []byte("not spir-v at all!!!"), Bindings: 1})
	wantErr(t, "garbage code", err, "not SPIR-V")
	_, err = d.NewPipeline(PipelineSpec{Shader: "axpy", Bindings: 2, PushBytes: 132})
	wantErr(t, "oversized push constants", err, "push-constant block of 132 bytes")
	_, err = d.NewPipeline(PipelineSpec{Shader: "axpy", Bindings: 2, PushBytes: 6})
	wantErr(t, "unaligned push constants", err, "multiple of 4")
	_, err = d.NewPipeline(PipelineSpec{Shader: "axpy", Bindings: -1, PushBytes: 8})
	wantErr(t, "negative bindings", err, "-1 bindings")

	p, err := d.NewPipeline(PipelineSpec{Shader: "axpy", Bindings: 2, PushBytes: 8, Constants: []uint32{64}})
	must(t, err)
	x, err := d.NewBuffer(16, DeviceMemory)
	must(t, err)
	_, err = p.Bind(x)
	wantErr(t, "too few buffers", err, "has 2 bindings, Bind got 1")
	y, err := d.NewBuffer(16, DeviceMemory)
	must(t, err)
	must(t, y.Close())
	_, err = p.Bind(x, y)
	wantErr(t, "closed buffer", err, "closed")
}

func TestCommandsMisuse(t *testing.T) {
	d := openTest(t)
	p, err := d.NewPipeline(PipelineSpec{Shader: "axpy", Bindings: 2, PushBytes: 8, Constants: []uint32{64}})
	must(t, err)
	x, err := d.NewBuffer(256, DeviceMemory)
	must(t, err)
	y, err := d.NewBuffer(256, DeviceMemory)
	must(t, err)
	set, err := p.Bind(x, y)
	must(t, err)
	c, err := d.NewCommands()
	must(t, err)

	wantErr(t, "Submit before End", c.Submit(), "before a successful End")
	wantErr(t, "End without Begin", c.End(), "End without Begin")

	record := func(f func()) error {
		must(t, c.Begin())
		f()
		return c.End()
	}
	wantErr(t, "short push", record(func() { c.Dispatch(set, Push{}.Uint32(1), 1, 1, 1) }), "4 push-constant bytes")
	wantErr(t, "Submit after a failed End", c.Submit(), "failed recording")
	// One workgroup more than the device's maxComputeWorkGroupCount[0]
	// (65535 on lavapipe, 2^31−1 on NVIDIA).
	huge := int(d.phys.limits.maxGroupCount[0]) + 1
	wantErr(t, "huge dispatch", record(func() { c.Dispatch(set, make([]byte, 8), huge, 1, 1) }), "workgroups in dimension 0")
	wantErr(t, "copy out of range", record(func() { c.Copy(x, 0, y, 128, 256) }), "do not fit")
	wantErr(t, "overlapping copy", record(func() { c.Copy(x, 0, x, 64, 128) }), "overlapping")
	wantErr(t, "unaligned fill", record(func() { c.Fill(x, 2, 8, 0) }), "multiples of 4")
	wantErr(t, "empty barrier", record(func() { c.Barrier(0, Compute) }), "source and destination")
	must(t, p.Close())
	wantErr(t, "closed pipeline", record(func() { c.Dispatch(set, make([]byte, 8), 1, 1, 1) }), "closed")

	c.Dispatch(set, make([]byte, 8), 1, 1, 1) // outside Begin and End: the next Begin reports it
	wantErr(t, "Dispatch outside a recording", c.Begin(), "outside Begin and End")
	// A good recording after failures works.
	must(t, record(func() { c.Fill(x, 0, 256, 0) }))
	must(t, c.Run())
}

// TestOutOfMemoryOnDevice asks for more than any device offers.
func TestOutOfMemoryOnDevice(t *testing.T) {
	d := openTest(t)
	_, err := d.NewBuffer(1<<50, DeviceMemory)
	wantErr(t, "a 1 PiB buffer", err, "reduce the batch size")
	t.Log(err)
	_, err = d.NewBuffer(int64(d.Info().DeviceLocalMemory)+4, DeviceMemory)
	wantErr(t, "a buffer larger than the heap", err, "reduce the batch size")
	t.Log(err)
	if d.MemoryInUse() != 0 {
		t.Errorf("a failed allocation left %d bytes in use", d.MemoryInUse())
	}
}
