package selftest

import (
	"encoding/binary"
	"fmt"
	"math/rand/v2"

	"github.com/anvil-ml/anvil/tensor"
)

// gatherFamilies: GatherRows and GatherLabels copy rows of a resident
// dataset through a sample order (bytes through the 256-entry table), so
// they must match exactly.
func gatherFamilies() []family {
	return []family{{name: "gather", build: gatherCases}}
}

// gatherCases gathers byte images, float rows and labels (one-hot and
// sparse) from the middle of a sample order, with odd feature counts.
func gatherCases(r *rand.Rand) []*opCase {
	batch, rows := batchRows(r)
	c := newCase(batch, rows...)
	c.name = "gather"
	c.start = between(r, 0, 9)
	samples := between(r, 2, 40)
	order := c.buf("order", tensor.DataBuffer, false, c.start+batch)
	c.plan.Buffers[order].DType = tensor.Int32
	c.raw[order] = int32Bytes(randomIndices(r, c.start+batch, samples))
	table := c.buf("table", tensor.StateBuffer, false, 256)
	c.init[table] = tensor.ByteScale[:]

	f := between(r, 1, 77)
	bytes := c.plan.AddDataBuffer("bytes", tensor.Uint8, tensor.Shape{samples * f})
	c.raw[bytes] = randomBytes(r, samples*f)
	c.emit(fmt.Sprintf("GatherRows uint8 %d×%d start %d", samples, f, c.start),
		tensor.GatherRows{Src: bytes, Order: order, Table: table, Dst: c.buf("byte rows", tensor.InputBuffer, true, f), Features: f}, nil)

	g := between(r, 1, 33)
	floats := c.plan.AddDataBuffer("floats", tensor.Float32, tensor.Shape{samples * g})
	c.emit(fmt.Sprintf("GatherRows float32 %d×%d", samples, g),
		tensor.GatherRows{Src: floats, Order: order, Table: tensor.NoBuffer, Dst: c.buf("float rows", tensor.InputBuffer, true, g), Features: g}, nil)

	classes := between(r, 2, 12)
	labels := c.plan.AddDataBuffer("labels", tensor.Int32, tensor.Shape{samples})
	c.raw[labels] = int32Bytes(randomIndices(r, samples, classes))
	c.emit(fmt.Sprintf("GatherLabels one-hot %d classes", classes),
		tensor.GatherLabels{Labels: labels, Order: order, Dst: c.buf("one-hot", tensor.InputBuffer, true, classes), Classes: classes}, nil)
	c.emit("GatherLabels sparse",
		tensor.GatherLabels{Labels: labels, Order: order, Dst: c.buf("sparse", tensor.InputBuffer, true, 1)}, nil)
	return []*opCase{c}
}

// randomIndices returns n values in 0..limit-1.
func randomIndices(r *rand.Rand, n, limit int) []int32 {
	v := make([]int32, n)
	for i := range v {
		v[i] = int32(r.IntN(limit))
	}
	return v
}

func randomBytes(r *rand.Rand, n int) []byte {
	v := make([]byte, n)
	for i := range v {
		v[i] = byte(r.IntN(256))
	}
	return v
}

// int32Bytes encodes v as the little-endian words a data buffer holds.
func int32Bytes(v []int32) []byte {
	out := make([]byte, 0, 4*len(v))
	for _, x := range v {
		out = binary.LittleEndian.AppendUint32(out, uint32(x))
	}
	return out
}
