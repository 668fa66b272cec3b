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
	// Float16 is IEEE binary16 storage for mixed precision (see
	// float16.go): activation and gradient buffers that a Cast writes and
	// a MatMul reads. The CPU backend keeps them as float32 holding values
	// rounded to binary16; the Vulkan backend stores two bytes each.
	Float16
)

// Size is the bytes one element takes.
func (d DType) Size() int {
	switch d {
	case Uint8:
		return 1
	case Float16:
		return 2
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
	case Float16:
		return "float16"
	}
	return fmt.Sprintf("DType(%d)", int(d))
}
