package vk

import (
	"encoding/binary"
	"math"
)

// Push builds a push-constant block from 32-bit scalars in declaration
// order, which is their std430 layout:
//
//	vk.Push{}.Uint32(n).Float32(alpha)
type Push []byte

// Uint32 appends a uint.
func (p Push) Uint32(v uint32) Push { return binary.LittleEndian.AppendUint32(p, v) }

// Int32 appends an int.
func (p Push) Int32(v int32) Push { return p.Uint32(uint32(v)) }

// Float32 appends a float.
func (p Push) Float32(v float32) Push { return p.Uint32(math.Float32bits(v)) }
