// matmul.glsl: C = op(A)·op(B), row-major, overwriting C (tensor.MatMul).
// CPU reference: cpuref/matmul.go.
//
// Bindings: 0 step arguments, 1 A, 2 B, 3 C, 4 split-K scratch (a dummy
// when SPLITS is 1), 5 bias and 6 Y of the fused epilogue (gemm_epilogue.glsl;
// dummies when unused). Push constants: the per-sample M, N, K and the batched
// axis (0 none, 1 M, 2 K), which args.rows multiplies. op(A) is gM×gK
// (A stored gK×gM when TRANS_A), op(B) is gK×gN (stored gN×gK when TRANS_B).
// Specialization constants 0..7 and 24..28: see matmul_core.glsl; 8
// TRANS_A, 9 TRANS_B; 20..23 the epilogue. Included by matmul.comp (shared-memory and register tiles)
// and matmul_sg.comp (the subgroup variant).

layout(constant_id = 8) const bool TRANS_A = false;
layout(constant_id = 9) const bool TRANS_B = false;

layout(push_constant, std430) uniform Push {
    uint pM;
    uint pN;
    uint pK;
    uint batchAxis;
};

// GEMM_AB and GEMM_AB4 are the storage types of A and B, and GEMM_F32 and
// GEMM_F32x4 the loads' conversions to float (matmul_f16.comp sets
// float16_t and f16vec4; the float32 shaders convert nothing).
#ifndef GEMM_AB
#define GEMM_AB float
#define GEMM_AB4 vec4
#define GEMM_F32(v) v
#define GEMM_F32x4(v) v
#endif
layout(std430, set = 0, binding = 1) readonly buffer A_ { GEMM_AB a[]; };
layout(std430, set = 0, binding = 2) readonly buffer B_ { GEMM_AB b[]; };
layout(std430, set = 0, binding = 3) writeonly buffer C_ { float c[]; };
// The same A and B as vec4, for the engine's 16-byte loads (VEC4).
layout(std430, set = 0, binding = 1) readonly buffer A4_ { GEMM_AB4 a4[]; };
layout(std430, set = 0, binding = 2) readonly buffer B4_ { GEMM_AB4 b4[]; };

#define AROW uint
#define BCOL uint
#define KI uint
#define A_KFAST (!TRANS_A)
#define B_KFAST TRANS_B
#define GEMM_SCRATCH_BINDING 4
#define GEMM_VEC4 1
vec4 loadA4(uint r, uint k);
vec4 loadB4(uint k, uint col);
#include "matmul_core.glsl"
#define EPI_BIAS_BINDING 5
#define EPI_Y_BINDING 6
#include "activation.glsl"
#include "rectifier.glsl"
#include "gemm_epilogue.glsl"

void gemmDims() {
    gM = pM;
    gN = pN;
    gK = pK;
    if (batchAxis == 1) {
        gM *= args.rows;
    } else if (batchAxis == 2) {
        gK *= args.rows;
    }
}

AROW aRow(uint m) { return TRANS_A ? m : m * gK; }
BCOL bCol(uint n) { return TRANS_B ? n * gK : n; }
KI kAt(uint k) { return k; }
float loadA(AROW r, KI k) { return GEMM_F32(TRANS_A ? a[k * gM + r] : a[r + k]); }
float loadB(KI k, BCOL col) { return GEMM_F32(TRANS_B ? b[col + k] : b[k * gN + col]); }
void storeC(uint m, uint n, float v) { c[m * gN + n] = epilogue(m * gN + n, n, v); }
// Four elements along the fast axis; the host sets VEC4 only where every
// such index is a multiple of 4 (see gemmAlign in kernel_matmul.go).
vec4 loadA4(uint r, uint k) { return GEMM_F32x4(a4[(TRANS_A ? k * gM + r : r + k) / 4]); }
vec4 loadB4(uint k, uint col) { return GEMM_F32x4(b4[(TRANS_B ? col + k : k * gN + col) / 4]); }
