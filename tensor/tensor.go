package tensor

import "fmt"

// Tensor is a dense float32 array on the host, row-major.
type Tensor struct {
	Shape Shape
	Data  []float32
}

// New allocates a zeroed tensor of the given shape.
func New(shape ...int) *Tensor {
	s := Shape(shape).Clone()
	return &Tensor{Shape: s, Data: make([]float32, s.Size())}
}

// FromData wraps data in a tensor of the given shape. It fails when the
// number of elements does not match the shape.
func FromData(data []float32, shape ...int) (*Tensor, error) {
	s := Shape(shape).Clone()
	if s.Size() != len(data) {
		return nil, fmt.Errorf("tensor: %d values do not fill shape %v (%d elements)", len(data), s, s.Size())
	}
	return &Tensor{Shape: s, Data: data}, nil
}

// Clone returns a deep copy.
func (t *Tensor) Clone() *Tensor {
	return &Tensor{Shape: t.Shape.Clone(), Data: append([]float32(nil), t.Data...)}
}

// Rows is the size of the leading dimension (0 for a scalar).
func (t *Tensor) Rows() int {
	if len(t.Shape) == 0 {
		return 0
	}
	return t.Shape[0]
}

// RowSize is the number of elements in one entry of the leading dimension.
func (t *Tensor) RowSize() int {
	if len(t.Shape) == 0 {
		return 1
	}
	return Shape(t.Shape[1:]).Size()
}

// Row returns the elements of row i, sharing memory with t.
func (t *Tensor) Row(i int) []float32 {
	n := t.RowSize()
	return t.Data[i*n : (i+1)*n]
}

// Argmax returns the index of the first maximal element of x, as tf.argmax
// does (ties go to the lowest index); 0 for an empty slice.
func Argmax(x []float32) int {
	best := 0
	for j, v := range x {
		if v > x[best] {
			best = j
		}
	}
	return best
}
