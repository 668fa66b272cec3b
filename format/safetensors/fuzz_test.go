package safetensors

import (
	"bytes"
	"math"
	"testing"

	"github.com/anvil-ml/anvil/tensor"
)

// FuzzDecode checks that Decode never panics on arbitrary bytes and that
// whatever it accepts survives an Encode/Decode round trip bit for bit.
// Run it with: go test ./format/safetensors -run '^$' -fuzz FuzzDecode -fuzztime 60s
func FuzzDecode(f *testing.F) {
	valid := encode(f, sample(), map[string]string{"format": "anvil"})
	f.Add(valid)
	f.Add(valid[:len(valid)-3])
	f.Add(valid[:12])
	f.Add([]byte{})
	f.Add(rawFile(`{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}`, make([]byte, 12)))
	f.Add(rawFile(`{"w":{"dtype":"BF16","shape":[2],"data_offsets":[0,4]}}`, make([]byte, 4)))
	f.Add(rawFile(`{"a":{"dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,4]}}`, make([]byte, 4)))
	f.Add(rawFile(`{"__metadata__":{"k":"v"}}`, nil))
	f.Fuzz(func(t *testing.T, data []byte) {
		got, err := Decode(data)
		if err != nil {
			return
		}
		var buf bytes.Buffer
		if err := Encode(&buf, got.Tensors, got.Metadata); err != nil {
			t.Fatalf("re-encoding a decoded file failed: %v", err)
		}
		again, err := Decode(buf.Bytes())
		if err != nil {
			t.Fatalf("decoding a re-encoded file failed: %v", err)
		}
		if !sameFile(got, again) {
			t.Fatal("round trip changed the content")
		}
	})
}

func sameFile(a, b *File) bool {
	if len(a.Tensors) != len(b.Tensors) || len(a.Metadata) != len(b.Metadata) {
		return false
	}
	for k, v := range a.Metadata {
		if b.Metadata[k] != v {
			return false
		}
	}
	for name, x := range a.Tensors {
		if !sameTensor(x, b.Tensors[name]) {
			return false
		}
	}
	return true
}

func sameTensor(x, y *tensor.Tensor) bool {
	if y == nil || !x.Shape.Equal(y.Shape) || len(x.Data) != len(y.Data) {
		return false
	}
	for i := range x.Data {
		if math.Float32bits(x.Data[i]) != math.Float32bits(y.Data[i]) {
			return false
		}
	}
	return true
}
