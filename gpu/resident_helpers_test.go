package gpu

import (
	"encoding/binary"
	"math"
	"math/rand/v2"

	"github.com/anvil-ml/anvil/tensor"
)

// residentPlan is a small training plan that reads its batches from
// resident data: uint8 images through a table and int32 labels, gathered
// through a sample order, then a dense layer, a softmax cross-entropy loss
// and Adam updates of the weights and the bias.
type residentPlan struct {
	p                               *tensor.Plan
	src, labels, order, table       tensor.BufferID
	x, t, w, b, y, dy, dw, db, loss tensor.BufferID
	count, features, classes        int
}

func newResidentPlan(batch, count, features, classes int) residentPlan {
	p := tensor.NewPlan(batch)
	r := residentPlan{p: p, count: count, features: features, classes: classes}
	F, C := features, classes
	r.src = p.AddDataBuffer("images", tensor.Uint8, tensor.Shape{count, F})
	r.labels = p.AddDataBuffer("labels", tensor.Int32, tensor.Shape{count})
	r.order = p.AddDataBuffer("order", tensor.Int32, tensor.Shape{count})
	r.table = p.AddBuffer("table", tensor.StateBuffer, false, tensor.Shape{256})
	r.x = p.AddBuffer("x", tensor.InputBuffer, true, tensor.Shape{F})
	r.t = p.AddBuffer("t", tensor.InputBuffer, true, tensor.Shape{C})
	r.w = p.AddBuffer("w", tensor.ParamBuffer, false, tensor.Shape{F, C})
	r.b = p.AddBuffer("b", tensor.ParamBuffer, false, tensor.Shape{C})
	r.y = p.AddBuffer("y", tensor.ActivationBuffer, true, tensor.Shape{C})
	r.dy = p.AddBuffer("dy", tensor.GradientBuffer, true, tensor.Shape{C})
	r.dw = p.AddBuffer("dw", tensor.GradientBuffer, false, tensor.Shape{F, C})
	r.db = p.AddBuffer("db", tensor.GradientBuffer, false, tensor.Shape{C})
	r.loss = p.AddBuffer("loss", tensor.AccumulatorBuffer, false, tensor.Shape{1})
	mw := p.AddBuffer("m_w", tensor.StateBuffer, false, tensor.Shape{F, C})
	vw := p.AddBuffer("v_w", tensor.StateBuffer, false, tensor.Shape{F, C})
	mb := p.AddBuffer("m_b", tensor.StateBuffer, false, tensor.Shape{C})
	vb := p.AddBuffer("v_b", tensor.StateBuffer, false, tensor.Shape{C})
	for _, op := range []tensor.Op{
		tensor.GatherRows{Src: r.src, Order: r.order, Table: r.table, Dst: r.x, Features: F},
		tensor.GatherLabels{Labels: r.labels, Order: r.order, Dst: r.t, Classes: C},
		tensor.MatMul{A: r.x, B: r.w, C: r.y, M: 1, N: C, K: F, Batch: tensor.BatchM},
		tensor.BiasAdd{X: r.y, Bias: r.b, Y: r.y, Outer: 1, C: C},
		tensor.Loss{Kind: tensor.SoftmaxCrossentropy, Pred: r.y, Target: r.t, Probs: tensor.NoBuffer,
			Grad: r.dy, LossSum: r.loss, Size: C, Width: C},
		tensor.MatMul{A: r.x, B: r.dy, C: r.dw, M: F, N: C, K: 1, TransA: true, Batch: tensor.BatchK},
		tensor.BiasGrad{DY: r.dy, DBias: r.db, Outer: 1, C: C},
		tensor.AdamUpdate{Param: r.w, Grad: r.dw, M: mw, V: vw, Size: F * C, Beta1: 0.9, Beta2: 0.999, Epsilon: 1e-7},
		tensor.AdamUpdate{Param: r.b, Grad: r.db, M: mb, V: vb, Size: C, Beta1: 0.9, Beta2: 0.999, Epsilon: 1e-7},
	} {
		p.Emit(tensor.Train, op)
	}
	return r
}

// residentData is what a residentPlan's program is loaded with.
type residentData struct {
	images []byte
	labels []int32
	order  []int32
	table  []float32
}

// newResidentData makes random images and labels, a random permutation
// as the order, and the b/255 table.
func newResidentData(count, features, classes int, seed uint64) residentData {
	rng := rand.New(rand.NewPCG(seed, 2))
	d := residentData{images: make([]byte, count*features), labels: make([]int32, count),
		order: make([]int32, count), table: make([]float32, 256)}
	for i := range d.images {
		d.images[i] = byte(rng.IntN(256))
	}
	for i := range d.labels {
		d.labels[i] = int32(rng.IntN(classes))
	}
	for i, v := range rng.Perm(count) {
		d.order[i] = int32(v)
	}
	for i := range d.table {
		d.table[i] = float32(i) / 255
	}
	return d
}

// int32Bytes encodes v little-endian, as Upload takes int32 data.
func int32Bytes(v []int32) []byte {
	out := make([]byte, 4*len(v))
	for i, x := range v {
		binary.LittleEndian.PutUint32(out[4*i:], uint32(x))
	}
	return out
}

// float32Bytes encodes v little-endian.
func float32Bytes(v []float32) []byte {
	out := make([]byte, 4*len(v))
	for i, x := range v {
		binary.LittleEndian.PutUint32(out[4*i:], math.Float32bits(x))
	}
	return out
}
