package tensor

import "math"

// IEEE 754 binary16 (half precision), the storage type of mixed precision.
// The conversions are written out bit by bit, not left to the hardware, so
// that the CPU backend rounds exactly as the shaders do
// (shaders/float16.glsl holds the same function): float32 → float16 rounds
// to nearest, ties to even, overflows to ±Inf, keeps subnormals, and maps
// every NaN to the quiet NaN 0x7e00 with its sign.

// Float16Max is the largest finite binary16 value, 65504.
const Float16Max = 65504

// Float16Bits returns the binary16 encoding nearest to f.
func Float16Bits(f float32) uint16 {
	x := math.Float32bits(f)
	sign := uint16(x>>16) & 0x8000
	exp := int(x>>23) & 0xff
	man := x & 0x7fffff
	if exp == 0xff { // Inf or NaN
		if man != 0 {
			return sign | 0x7e00
		}
		return sign | 0x7c00
	}
	e := exp - 127 + 15 // the binary16 exponent field
	if e >= 31 {
		return sign | 0x7c00
	}
	if e <= 0 {
		// Subnormal in binary16: value = M·2^(exp−150) with the implicit bit
		// in M, and a binary16 subnormal counts units of 2^−24.
		if e < -10 {
			return sign // below half the smallest subnormal
		}
		return sign | uint16(roundShift(man|0x800000, uint(14-e)))
	}
	// A carry out of the mantissa moves into the exponent, which is the
	// right result, up to and including the overflow to Inf.
	return sign | uint16(roundShift(uint32(e)<<23|man, 13))
}

// roundShift returns v >> s rounded to nearest, ties to even.
func roundShift(v uint32, s uint) uint32 {
	h := v >> s
	rem := v & (1<<s - 1)
	half := uint32(1) << (s - 1)
	if rem > half || (rem == half && h&1 != 0) {
		h++
	}
	return h
}

// Float16Value returns the float32 value of a binary16 encoding (exact).
func Float16Value(h uint16) float32 {
	sign := uint32(h&0x8000) << 16
	exp := uint32(h>>10) & 0x1f
	man := uint32(h & 0x3ff)
	switch {
	case exp == 0x1f:
		return math.Float32frombits(sign | 0x7f800000 | man<<13)
	case exp != 0:
		return math.Float32frombits(sign | (exp+112)<<23 | man<<13)
	}
	v := float32(man) * (1.0 / (1 << 24)) // subnormal: man units of 2^-24, exact
	return math.Float32frombits(sign | math.Float32bits(v))
}

// RoundFloat16 returns f rounded to the nearest binary16 value, as a
// float32: what a value stored in half precision reads back as. In
// binary16's normal range it rounds the float32 mantissa to 10 bits in
// place (ties to even; a carry moves into the exponent, as it should),
// which the CPU backend's casts spend most of their time on; elsewhere it
// goes through the encoding.
func RoundFloat16(f float32) float32 {
	x := math.Float32bits(f)
	if e := x >> 23 & 0xff; e >= 127-14 && e <= 127+15 {
		x += 0xfff + (x >> 13 & 1)
		x &^= 0x1fff
		if x&0x7fffffff < 0x477ff000 { // below 65520: still finite in binary16
			return math.Float32frombits(x)
		}
	}
	return Float16Value(Float16Bits(f))
}

// RoundFloat16Slice rounds every element of src to binary16 into dst.
func RoundFloat16Slice(dst, src []float32) {
	for i, v := range src {
		dst[i] = RoundFloat16(v)
	}
}
