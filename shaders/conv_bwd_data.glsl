// conv_bwd_data.glsl: the input gradient of Conv2D as an implicit GEMM
// (tensor.Conv2DBackwardData). CPU reference: cpuref/conv.go (GEMM with
// the transposed kernel, then col2im).
//
//   DX[n, ih, iw, c] = Σ DY[n, oh, ow, f] · W[kh, kw, c, f]
//                      over kh, kw, f with oh·SH = ih + PT − kh and
//                      ow·SW = iw + PL − kw inside the output
//
// One writer per DX element, no atomics. With strides above 1 only every
// SH-th kh can reach a given ih, so the input is cut into SH·SW phases
// (ih ≡ PH mod SH, iw ≡ PW mod SW), one dispatch each; within a phase the
// kernel taps that contribute are kh = kh0 + SH·a, kw = kw0 + SW·b, and
// the GEMM has no terms that are always zero:
//
//   M = rows·Hp·Wp (the phase's input positions), N = C,
//   K = KHp·KWp·F, with oh = i + qh − a for ih = PH + SH·i.
//
// Bindings: 0 step arguments, 1 DY, 2 W, 3 DX. No push constants.
// Specialization constants 0..7: matmul_core.glsl; 8..19: conv_geom.glsl;
// 20, 21: the phase PH < SH, PW < SW.

#include "conv_geom.glsl"
layout(constant_id = 20) const int PH = 0;
layout(constant_id = 21) const int PW = 0;

// The phase's input rows (ih = PH + SH·i, i < HP) and kernel rows
// (kh = KH0 + SH·a, a < KHP), and likewise for columns.
const int HP = (H - PH + SH - 1) / SH;
const int WP = (W - PW + SW - 1) / SW;
const int KH0 = (PH + PT) % SH;
const int KW0 = (PW + PL) % SW;
const int KHP = KH > KH0 ? (KH - KH0 + SH - 1) / SH : 0;
const int KWP = KW > KW0 ? (KW - KW0 + SW - 1) / SW : 0;
const int QH = (PH + PT - KH0) / SH;
const int QW = (PW + PL - KW0) / SW;

layout(std430, set = 0, binding = 1) readonly buffer DY_ { GEMM_AB dy[]; };
layout(std430, set = 0, binding = 2) readonly buffer W_ { GEMM_AB w[]; };
layout(std430, set = 0, binding = 3) writeonly buffer DX_ { float dx[]; };

#define AROW ivec3 // first element of the sample in DY, oh and ow at a = b = 0
#define BCOL uint
#define KI ivec4   // a, b, f, the element of W at (kh, kw, 0, f)
#define A_KFAST true
#define B_KFAST true
#include "matmul_core.glsl"

void gemmDims() {
    gM = args.rows * uint(HP * WP);
    gN = uint(C);
    gK = uint(KHP * KWP * F);
}

AROW aRow(uint m) {
    int n = int(m) / (HP * WP);
    int r = int(m) % (HP * WP);
    return ivec3(n * OH * OW * F, r / WP + QH, r % WP + QW);
}

BCOL bCol(uint c) { return c * uint(F); }

KI kAt(uint k) {
    int kk = int(k);
    int a = kk / (KWP * F);
    int b = (kk / F) % KWP;
    int f = kk % F;
    return ivec4(a, b, f, ((KH0 + SH * a) * KW + KW0 + SW * b) * C * F + f);
}

float loadA(AROW r, KI k) {
    int oh = r.y - k.x;
    int ow = r.z - k.y;
    // Branch-free: an index outside the output reads element 0 and is
    // discarded (control flow inside the K loop is costly on CPU drivers).
    bool inside = uint(oh) < uint(OH) && uint(ow) < uint(OW);
    float v = GEMM_F32(dy[inside ? r.x + (oh * OW + ow) * F + k.z : 0]);
    return inside ? v : 0.0;
}

float loadB(KI k, BCOL col) { return GEMM_F32(w[uint(k.w) + col]); }

void storeC(uint m, uint c, float v) {
    int n = int(m) / (HP * WP);
    int r = int(m) % (HP * WP);
    int ih = PH + SH * (r / WP);
    int iw = PW + SW * (r % WP);
    dx[uint(((n * H + ih) * W + iw) * C) + c] = v;
}
