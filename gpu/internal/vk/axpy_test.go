package vk

import (
	"fmt"
	"math"
	"testing"
)

const workgroup = 64

// axpyCPU is the reference: y = a*x + y, rounded to float32 each time.
func axpyCPU(a float32, x, y []float32) {
	for i := range y {
		y[i] = a*x[i] + y[i]
	}
}

// closeTo compares two float32 slices with a relative-or-absolute tolerance.
func closeTo(t *testing.T, got, want []float32, tol float64) {
	t.Helper()
	for i := range want {
		if d := math.Abs(float64(got[i] - want[i])); d > tol*math.Max(1, math.Abs(float64(want[i]))) {
			t.Fatalf("element %d of %d: got %v, want %v", i, len(want), got[i], want[i])
		}
	}
}

// TestAxpyReplay records one axpy dispatch and replays it three times, on
// sizes that are not multiples of the workgroup size, through both the
// direct (mapped) path and the staging path.
func TestAxpyReplay(t *testing.T) {
	for _, staging := range []bool{false, true} {
		for _, n := range []int{1, 63, 64, 1000, 4099, 100003} {
			t.Run(fmt.Sprintf("staging=%v/n=%d", staging, n), func(t *testing.T) {
				d := openTest(t)
				d.forceStaging = staging
				d.stagingBytes = 4096 // several chunks for the larger sizes
				runAxpy(t, d, n, 3)
			})
		}
	}
}

func runAxpy(t *testing.T, d *Device, n, replays int) {
	const a = float32(1.5)
	x, y := randomFloats(n, 1), randomFloats(n, 2)
	xb, yb := newFloatBuffer(t, d, x), newFloatBuffer(t, d, y)
	p, err := d.NewPipeline(PipelineSpec{Shader: "axpy", Bindings: 2, PushBytes: 8, Constants: []uint32{workgroup}})
	must(t, err)
	set, err := p.Bind(xb, yb)
	must(t, err)
	c, err := d.NewCommands()
	must(t, err)
	must(t, c.Begin())
	c.Dispatch(set, Push{}.Uint32(uint32(n)).Float32(a), Groups(n, workgroup), 1, 1)
	must(t, c.End())
	for range replays {
		must(t, c.Run())
		axpyCPU(a, x, y)
	}
	got := make([]float32, n)
	must(t, yb.ReadFloat32(got))
	closeTo(t, got, y, 1e-5)
	if d.Info().Timestamps {
		gt, err := c.GPUTime()
		must(t, err)
		if gt <= 0 {
			t.Errorf("GPUTime = %v, want > 0", gt)
		}
		t.Logf("n=%d: %v of GPU time per replay", n, gt)
	}
}

// TestDependentDispatches records fill, a transfer copy and two axpy steps
// into one command buffer, with the barriers each dependency needs.
func TestDependentDispatches(t *testing.T) {
	d := openTest(t)
	const n = 777
	x := randomFloats(n, 3)
	xb := newFloatBuffer(t, d, x)
	yb, err := d.NewBuffer(4*n, DeviceMemory)
	must(t, err)
	zb, err := d.NewBuffer(4*n, DeviceMemory)
	must(t, err)
	fill, err := d.NewPipeline(PipelineSpec{Shader: "fill", Bindings: 1, PushBytes: 8, Constants: []uint32{32}})
	must(t, err)
	axpy, err := d.NewPipeline(PipelineSpec{Shader: "axpy", Bindings: 2, PushBytes: 8, Constants: []uint32{128}})
	must(t, err)
	fillY, err := fill.Bind(yb)
	must(t, err)
	axpyXY, err := axpy.Bind(xb, yb)
	must(t, err)
	c, err := d.NewCommands()
	must(t, err)
	must(t, c.Begin())
	c.Dispatch(fillY, Push{}.Uint32(n).Float32(0.25), 3, 1, 1) // fewer groups than n/32: the loop strides
	c.Barrier(Compute, Compute)
	c.Dispatch(axpyXY, Push{}.Uint32(n).Float32(2), Groups(n, 128), 1, 1)
	c.Barrier(Compute, Compute)
	c.Dispatch(axpyXY, Push{}.Uint32(n).Float32(-1), Groups(n, 128), 1, 1)
	c.Barrier(Compute, Transfer)
	c.Copy(zb, 0, yb, 0, 4*n)
	c.Barrier(Transfer, Transfer)
	c.Fill(zb, 4*(n-1), 4, math.Float32bits(42))
	must(t, c.End())
	must(t, c.Run())
	must(t, c.Run()) // replays start from a fresh fill, so the result repeats
	want := make([]float32, n)
	for i := range want {
		want[i] = 0.25 + 2*x[i] - x[i]
	}
	want[n-1] = 42
	got := make([]float32, n)
	must(t, zb.ReadFloat32(got))
	closeTo(t, got, want, 1e-6)
}

// TestWriteReadOffsets moves bytes at odd offsets through both paths.
func TestWriteReadOffsets(t *testing.T) {
	for _, staging := range []bool{false, true} {
		d := openTest(t)
		d.forceStaging = staging
		d.stagingBytes = 1000
		b, err := d.NewBuffer(10001, DeviceMemory) // rounds up to 10004
		must(t, err)
		if b.Size() != 10004 {
			t.Errorf("Size = %d, want 10004", b.Size())
		}
		data := make([]byte, 5003)
		for i := range data {
			data[i] = byte(i * 7)
		}
		must(t, b.Write(1001, data))
		got := make([]byte, len(data))
		must(t, b.Read(1001, got))
		for i := range data {
			if got[i] != data[i] {
				t.Fatalf("staging=%v: byte %d: got %d, want %d", staging, i, got[i], data[i])
			}
		}
		if err := b.Write(10000, make([]byte, 5)); err == nil {
			t.Errorf("a write past the end succeeded")
		}
	}
}

// TestHostMemoryIsMapped checks that HostMemory buffers expose their bytes.
func TestHostMemoryIsMapped(t *testing.T) {
	d := openTest(t)
	b, err := d.NewBuffer(64, HostMemory)
	must(t, err)
	if len(b.Mapped()) != 64 {
		t.Fatalf("Mapped() has %d bytes, want 64", len(b.Mapped()))
	}
	b.Mapped()[3] = 9
	got := make([]byte, 1)
	must(t, b.Read(3, got))
	if got[0] != 9 {
		t.Errorf("Read after a mapped write: got %d, want 9", got[0])
	}
}
