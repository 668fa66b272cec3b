// float16.glsl: IEEE binary16 conversions written out bit by bit, term for
// term as tensor.Float16Bits and tensor.Float16Value, so every device
// rounds as the CPU backend does (GLSL leaves the rounding of a narrowing
// conversion, and the treatment of subnormals, to the implementation).

// round_shift is v >> s rounded to nearest, ties to even (1 <= s <= 24).
uint round_shift(uint v, uint s) {
    uint h = v >> s;
    uint rem = v & ((1u << s) - 1u);
    uint halfway = 1u << (s - 1u);
    if (rem > halfway || (rem == halfway && (h & 1u) != 0u)) {
        h++;
    }
    return h;
}

// f16_bits is the binary16 encoding nearest to f: ties to even, overflow
// to ±Inf, subnormals kept, every NaN the quiet NaN 0x7e00 with its sign.
uint f16_bits(float f) {
    uint x = floatBitsToUint(f);
    uint sgn = (x >> 16) & 0x8000u;
    int ex = int((x >> 23) & 0xffu);
    uint man = x & 0x7fffffu;
    if (ex == 255) {
        return sgn | (man != 0u ? 0x7e00u : 0x7c00u);
    }
    int e = ex - 112;
    if (e >= 31) {
        return sgn | 0x7c00u;
    }
    if (e <= 0) {
        if (e < -10) {
            return sgn;
        }
        return sgn | round_shift(man | 0x800000u, uint(14 - e));
    }
    return sgn | round_shift((uint(e) << 23) | man, 13u);
}

// f16_value is the float32 value of a binary16 encoding (exact).
float f16_value(uint h) {
    uint sgn = (h & 0x8000u) << 16;
    uint ex = (h >> 10) & 0x1fu;
    uint man = h & 0x3ffu;
    if (ex == 0x1fu) {
        return uintBitsToFloat(sgn | 0x7f800000u | (man << 13));
    }
    if (ex != 0u) {
        return uintBitsToFloat(sgn | ((ex + 112u) << 23) | (man << 13));
    }
    return uintBitsToFloat(sgn | floatBitsToUint(float(man) * (1.0 / 16777216.0)));
}

// finite reports whether f is neither Inf nor NaN, from its bits (a
// compiler may assume isnan and isinf false under fast math).
bool finite(float f) { return (floatBitsToUint(f) & 0x7f800000u) != 0x7f800000u; }
