package tensor

import (
	"math"
	"testing"
)

// The expected encodings are IEEE 754 binary16 bit patterns as tabulated
// in the standard and in Wikipedia's "Half-precision floating-point
// format" examples, not derived from the code under test.
func TestFloat16Bits(t *testing.T) {
	inf := float32(math.Inf(1))
	cases := []struct {
		in   float32
		want uint16
	}{
		{0, 0x0000},
		{float32(math.Copysign(0, -1)), 0x8000},
		{1, 0x3c00},
		{-2, 0xc000},
		{0.333251953125, 0x3555},      // nearest to 1/3
		{65504, 0x7bff},               // largest normal
		{65519.996, 0x7bff},           // below the halfway point to 65536: rounds down
		{65520, 0x7c00},               // halfway to 2^16, odd mantissa 0x3ff: rounds up to Inf
		{1e6, 0x7c00},                 // overflow
		{70000, 0x7c00},               // in [2^16, 2^17), with mantissa bits: Inf, not a NaN pattern
		{-131000, 0xfc00},             // the same binade, negative
		{-1e6, 0xfc00},                // negative overflow
		{inf, 0x7c00},                 // Inf stays Inf
		{6.1035156e-05, 0x0400},       // smallest normal, 2^-14
		{6.0975552e-05, 0x03ff},       // largest subnormal
		{5.9604645e-08, 0x0001},       // smallest subnormal, 2^-24
		{2.9802322e-08, 0x0000},       // 2^-25, a tie between 0 and 2^-24: to even (0)
		{2.9802326e-08, 0x0001},       // just above the tie: rounds up
		{8.940697e-08, 0x0002},        // 1.5·2^-24, a tie between 1 and 2 units: to even (2)
		{1.00048828125, 0x3c00},       // 1 + 2^-11, tie between 1 and 1+2^-10: to even (1)
		{1.00146484375, 0x3c02},       // 1 + 3·2^-11, tie between 1+2^-10 and 1+2·2^-10: to even
		{2049, 0x6800},                // integer tie: 2049 → 2048
		{2051, 0x6802},                // 2051 → 2052
		{0.1, 0x2e66},                 // 0.0999755859375
		{float32(math.NaN()), 0x7e00}, // quiet NaN
		{1e-30, 0x0000},               // far below the subnormals
		{6.1034e-05, 0x0400},          // rounds up from the subnormal range to the smallest normal
	}
	for _, c := range cases {
		if got := Float16Bits(c.in); got != c.want {
			t.Errorf("Float16Bits(%g) = %#04x, want %#04x", c.in, got, c.want)
		}
	}
}

func TestFloat16Value(t *testing.T) {
	cases := []struct {
		in   uint16
		want float32
	}{
		{0x3c00, 1}, {0xc000, -2}, {0x7bff, 65504}, {0x0400, 6.1035156e-05},
		{0x03ff, 6.0975552e-05}, {0x0001, 5.9604645e-08}, {0x8001, -5.9604645e-08},
		{0x3555, 0.333251953125}, {0x7c00, float32(math.Inf(1))}, {0xfc00, float32(math.Inf(-1))},
	}
	for _, c := range cases {
		if got := Float16Value(c.in); got != c.want {
			t.Errorf("Float16Value(%#04x) = %g, want %g", c.in, got, c.want)
		}
	}
	if v := Float16Value(0x7e00); !math.IsNaN(float64(v)) {
		t.Errorf("Float16Value(0x7e00) = %g, want NaN", v)
	}
}

// TestFloat16RoundTrip checks that every finite binary16 value survives
// float32 and back, and that rounding any float32 gives the nearest one
// (against a float64 search over the two neighbours).
func TestFloat16RoundTrip(t *testing.T) {
	for h := 0; h < 1<<16; h++ {
		if h&0x7c00 == 0x7c00 {
			continue
		}
		if got := Float16Bits(Float16Value(uint16(h))); got != uint16(h) {
			t.Fatalf("round trip of %#04x gives %#04x", h, got)
		}
	}
	r := NewStream(3, 0)
	for i := 0; i < 200000; i++ {
		bits := r.Uint32()
		f := math.Float32frombits(bits)
		if math.IsNaN(float64(f)) || math.IsInf(float64(f), 0) || math.Abs(float64(f)) >= 65520 {
			continue
		}
		got := float64(RoundFloat16(f))
		h := Float16Bits(f)
		// The neighbours one unit either side must not be strictly nearer.
		for _, n := range []uint16{h - 1, h + 1} {
			if n&0x7fff >= 0x7c00 {
				continue
			}
			other := float64(Float16Value(n))
			if math.Abs(other-float64(f)) < math.Abs(got-float64(f)) {
				t.Fatalf("RoundFloat16(%g) = %g, but %g is nearer", f, got, other)
			}
		}
	}
}

// TestRoundFloat16FastPath: the in-place rounding of the normal range
// agrees with the encoding, bit for bit, on random values of every
// exponent and on the edges of the range.
func TestRoundFloat16FastPath(t *testing.T) {
	r := NewStream(5, 0)
	check := func(f float32) {
		want := Float16Value(Float16Bits(f))
		got := RoundFloat16(f)
		if math.Float32bits(got) != math.Float32bits(want) && !(got != got && want != want) {
			t.Fatalf("RoundFloat16(%g [%#08x]) = %g, the encoding gives %g", f, math.Float32bits(f), got, want)
		}
	}
	for i := 0; i < 300000; i++ {
		check(math.Float32frombits(r.Uint32()))
		// Exponents around binary16's range, where the paths meet.
		e := uint32(127-26+r.Intn(45)) << 23
		check(math.Float32frombits(r.Uint32()&0x807fffff | e))
	}
	for _, f := range []float32{65504, 65519.996, 65520, 65535, 6.1035156e-05, 6.1034e-05, 6.1035e-05, 2049, 2051, 1.00048828125} {
		check(f)
		check(-f)
		check(math.Nextafter32(f, 0))
		check(math.Nextafter32(f, float32(math.Inf(1))))
	}
	// Infinities, and NaNs whose payload is all ones: adding the rounding
	// carry to these bits would carry into the sign bit or out of 32 bits
	// (0x7fffffff to −0, 0xffffffff to +0), so they must not take the
	// in-place path.
	for _, bits := range []uint32{0x7f800000, 0xff800000, 0x7fffffff, 0xffffffff, 0x7ffff000, 0xfffff000, 0x7fc00000} {
		f := math.Float32frombits(bits)
		check(f)
		if g := RoundFloat16(f); math.IsNaN(float64(f)) != math.IsNaN(float64(g)) || math.Signbit(float64(f)) != math.Signbit(float64(g)) {
			t.Errorf("RoundFloat16(%#08x) = %#08x, want a NaN or Inf of the same sign", bits, math.Float32bits(g))
		}
	}
}
