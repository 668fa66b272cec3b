package tensor

// Bytes is a tensor kept one byte per element, the way image data sets
// come: each byte b stands for the float32 value ByteScale[b] =
// float32(b)/255. It takes a quarter of a Tensor's memory, and a backend
// scales it where the batch is gathered (GatherRows with ByteScale as the
// table), so the values a model sees are bit-identical to Float's.
type Bytes struct {
	Shape Shape
	Data  []uint8
}

// ByteScale maps a byte to its value scaled to 0..1, float32(b)/255, as
// NumPy's x.astype('float32')/255 computes it.
var ByteScale = func() (t [256]float32) {
	for i := range t {
		t[i] = float32(i) / 255
	}
	return t
}()

// Rows is the size of the first dimension (the number of samples).
func (b *Bytes) Rows() int {
	if b == nil || len(b.Shape) == 0 {
		return 0
	}
	return b.Shape[0]
}

// RowSize is the number of elements per sample.
func (b *Bytes) RowSize() int {
	if b == nil || len(b.Shape) == 0 {
		return 0
	}
	return b.Shape[1:].Size()
}

// Float expands b to a float32 tensor of the same shape, scaled by
// ByteScale.
func (b *Bytes) Float() *Tensor {
	t := New(b.Shape...)
	for i, v := range b.Data {
		t.Data[i] = ByteScale[v]
	}
	return t
}

// Head returns the first n samples (all of them when there are fewer),
// sharing b's memory.
func (b *Bytes) Head(n int) *Bytes {
	if b == nil || len(b.Shape) == 0 {
		return b
	}
	n = min(n, b.Rows())
	shape := b.Shape.Clone()
	shape[0] = n
	end := n * b.RowSize()
	return &Bytes{Shape: shape, Data: b.Data[:end:end]}
}
