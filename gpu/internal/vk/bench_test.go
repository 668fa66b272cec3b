package vk

import (
	"testing"
	"time"
)

// BenchmarkAxpyReplay replays one recorded axpy over 1M floats and reports
// the GPU time per replay from timestamp queries alongside wall time.
func BenchmarkAxpyReplay(b *testing.B) {
	d, err := Open(Options{})
	if err != nil {
		b.Skip(err)
	}
	defer d.Close()
	const n = 1 << 20
	x, _ := d.NewBuffer(4*n, DeviceMemory)
	y, _ := d.NewBuffer(4*n, DeviceMemory)
	p, err := d.NewPipeline(PipelineSpec{Shader: "axpy", Bindings: 2, PushBytes: 8, Constants: []uint32{256}})
	if err != nil {
		b.Fatal(err)
	}
	set, _ := p.Bind(x, y)
	c, _ := d.NewCommands()
	c.Begin()
	c.Fill(x, 0, 4*n, 0)
	c.Fill(y, 0, 4*n, 0)
	c.Barrier(Transfer, Compute)
	c.Dispatch(set, Push{}.Uint32(n).Float32(1), Groups(n, 256), 1, 1)
	if err := c.End(); err != nil {
		b.Fatal(err)
	}
	var gpu time.Duration
	b.SetBytes(3 * 4 * n)
	for b.Loop() {
		if err := c.Run(); err != nil {
			b.Fatal(err)
		}
		if t, err := c.GPUTime(); err == nil {
			gpu += t
		}
	}
	b.ReportMetric(float64(gpu.Nanoseconds())/float64(b.N), "gpu-ns/op")
}
