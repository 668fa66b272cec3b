// conv_bwd_filter.glsl: the kernel gradient of Conv2D as an implicit GEMM
// (tensor.Conv2DBackwardFilter). CPU reference: cpuref/conv.go (im2col
// panel transposed times DY).
//
//   DW[m, f] = Σ_k P[k, m] · DY[k, f],  m = (kh, kw, c) < KH·KW·C,
//                                       k = (n, oh, ow) < rows·OH·OW
//
// with P the im2col panel gathered on the fly. K grows with the batch and
// the output is small, so the engine may split K into slices (split-K,
// summed in order by matmul_reduce): one writer per DW element either way.
// Bindings: 0 step arguments, 1 X, 2 DY, 3 DW, 4 split-K scratch (a dummy
// when SPLITS is 1). No push constants.
// Specialization constants 0..7: matmul_core.glsl; 8..19: conv_geom.glsl.

#include "conv_geom.glsl"

layout(std430, set = 0, binding = 1) readonly buffer X_ { GEMM_AB x[]; };
layout(std430, set = 0, binding = 2) readonly buffer DY_ { GEMM_AB dy[]; };
layout(std430, set = 0, binding = 3) writeonly buffer DW_ { float dw[]; };

#define AROW ivec3 // kh, kw, c
#define BCOL uint
#define KI ivec4   // first element of the sample in X, top row, left column, k
#define A_KFAST false
#define B_KFAST false
#define GEMM_SCRATCH_BINDING 4
#include "matmul_core.glsl"

void gemmDims() {
    gM = uint(KH * KW * C);
    gN = uint(F);
    gK = args.rows * uint(OH * OW);
}

AROW aRow(uint m) {
    int mm = int(m);
    return ivec3(mm / (KW * C), (mm / C) % KW, mm % C);
}

BCOL bCol(uint n) { return n; }

KI kAt(uint k) {
    int kk = int(k);
    int n = kk / (OH * OW);
    int r = kk % (OH * OW);
    return ivec4(n * H * W * C, (r / OW) * SH - PT, (r % OW) * SW - PL, kk);
}

float loadA(AROW r, KI k) {
    int ih = k.y + r.x;
    int iw = k.z + r.y;
    // Branch-free: an index outside the image reads element 0 and is
    // discarded (control flow inside the K loop is costly on CPU drivers).
    bool inside = uint(ih) < uint(H) && uint(iw) < uint(W);
    float v = GEMM_F32(x[inside ? k.x + (ih * W + iw) * C + r.z : 0]);
    return inside ? v : 0.0;
}

float loadB(KI k, BCOL col) { return GEMM_F32(dy[uint(k.w * F) + col]); }

void storeC(uint m, uint n, float v) { dw[m * uint(F) + n] = v; }
