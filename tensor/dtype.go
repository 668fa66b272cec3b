package tensor

import "fmt"

// DType is the element type of a Plan buffer. Almost every buffer holds
// float32; resident datasets keep images as uint8 (a quarter of the memory)
// and class labels and sample orders as int32.
type DType uint8

// The element types. Float32 is the zero value, so a Buffer that says
// nothing holds float32.
const (
	Float32 DType = iota
	Uint8
	Int32
)

// Size is the bytes one element takes.
func (d DType) Size() int {
	if d == Uint8 {
		return 1
	}
	return 4
}

func (d DType) String() string {
	switch d {
	case Float32:
		return "float32"
	case Uint8:
		return "uint8"
	case Int32:
		return "int32"
	}
	return fmt.Sprintf("DType(%d)", int(d))
}
