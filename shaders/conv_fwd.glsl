// conv_fwd.glsl: Conv2D forward as an implicit GEMM (tensor.Conv2D), NHWC
// input, [KH,KW,C,F] kernel. CPU reference: cpuref/conv.go (im2col + GEMM).
//
//   Y[m, f] = Σ_k P[m, k] · W[k, f],  m = (n, oh, ow) < rows·OH·OW,
//                                     k = (kh, kw, c) < KH·KW·C
//
// where P, the im2col panel, is gathered on the fly: P[m, k] =
// X[n, oh·SH + kh − PT, ow·SW + kw − PL, c], zero outside the image.
// Bindings: 0 step arguments, 1 X, 2 W, 3 Y, 4 bias and 5 activation
// output of the fused epilogue (gemm_epilogue.glsl; dummies when unused).
// No push constants. Specialization constants 0..7: matmul_core.glsl;
// 8..19: conv_geom.glsl; 20..23: the epilogue.

#include "conv_geom.glsl"

layout(std430, set = 0, binding = 1) readonly buffer X_ { GEMM_AB x[]; };
layout(std430, set = 0, binding = 2) readonly buffer W_ { GEMM_AB w[]; };
layout(std430, set = 0, binding = 3) writeonly buffer Y_ { float y[]; };

#define AROW ivec3 // first element of the sample, top row, left column
#define BCOL uint
#define KI ivec4   // kh, kw, c, k
#define A_KFAST true
#define B_KFAST false
#include "matmul_core.glsl"
#define EPI_BIAS_BINDING 4
#define EPI_Y_BINDING 5
#include "activation.glsl"
#include "rectifier.glsl"
#include "gemm_epilogue.glsl"

void gemmDims() {
    gM = args.rows * uint(OH * OW);
    gN = uint(F);
    gK = uint(KH * KW * C);
}

AROW aRow(uint m) {
    int n = int(m) / (OH * OW);
    int r = int(m) % (OH * OW);
    return ivec3(n * H * W * C, (r / OW) * SH - PT, (r % OW) * SW - PL);
}

BCOL bCol(uint n) { return n; }

KI kAt(uint k) {
    int kk = int(k);
    return ivec4(kk / (KW * C), (kk / C) % KW, kk % C, kk);
}

float loadA(AROW r, KI k) {
    int ih = r.y + k.x;
    int iw = r.z + k.y;
    // Branch-free: an index outside the image reads element 0 and is
    // discarded (control flow inside the K loop is costly on CPU drivers).
    bool inside = uint(ih) < uint(H) && uint(iw) < uint(W);
    float v = GEMM_F32(x[inside ? r.x + (ih * W + iw) * C + k.z : 0]);
    return inside ? v : 0.0;
}

float loadB(KI k, BCOL col) { return GEMM_F32(w[uint(k.w * F) + col]); }

void storeC(uint m, uint n, float v) {
    uint i = m * uint(F) + n;
    y[i] = epilogue(i, n, v);
}
