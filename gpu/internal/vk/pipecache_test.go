package vk

import (
	"bytes"
	"testing"
)

// TestPipelineCacheRoundTrip saves a device's pipeline cache after making
// a pipeline and seeds a second device with it: the data is taken, while
// a truncated or foreign blob is ignored and leaves an empty, working
// cache.
func TestPipelineCacheRoundTrip(t *testing.T) {
	d := openTest(t)
	if data, err := d.PipelineCacheData(); err != nil || data != nil {
		t.Fatalf("PipelineCacheData without a cache = %d bytes, %v; want none", len(data), err)
	}
	used, err := d.UsePipelineCache(nil)
	must(t, err)
	if used {
		t.Error("UsePipelineCache(nil) reports it used the data")
	}
	_, err = d.NewPipeline(PipelineSpec{Shader: "axpy", Bindings: 2, PushBytes: 8, Constants: []uint32{64}})
	must(t, err)
	data, err := d.PipelineCacheData()
	must(t, err)
	if len(data) < 32 {
		t.Fatalf("PipelineCacheData: %d bytes, want at least a header", len(data))
	}

	d2 := openTest(t)
	for _, c := range []struct {
		name string
		data []byte
		want bool
	}{
		{"saved", data, true},
		{"truncated", data[:20], false},
		{"foreign", append([]byte{}, bytes.Repeat([]byte{7}, len(data))...), false},
	} {
		used, err := d2.UsePipelineCache(c.data)
		if err != nil || used != c.want {
			t.Errorf("%s: UsePipelineCache = %v, %v; want %v", c.name, used, err, c.want)
		}
		_, err = d2.NewPipeline(PipelineSpec{Shader: "axpy", Bindings: 2, PushBytes: 8, Constants: []uint32{64}})
		must(t, err)
	}
}
