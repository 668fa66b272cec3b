#version 450
#extension GL_GOOGLE_include_directive : require
#extension GL_EXT_shader_16bit_storage : require
#extension GL_EXT_shader_explicit_arithmetic_types_float16 : require
#extension GL_KHR_shader_subgroup_basic : require
#extension GL_KHR_memory_scope_semantics : require
#extension GL_NV_cooperative_matrix : require
#extension GL_EXT_control_flow_attributes : require
// matmul_f16_cm: the binary16 MatMul of matmul_f16.comp on tensor cores
// (VK_NV_cooperative_matrix): C = op(A)·op(B), A and B binary16, products
// and sums in float32 (fp16×fp16 products are exact in float32; the sums'
// order and rounding are the tensor cores'). The host uses it only where
// the device offers the fragment shape FM×FN×FK with float16 A and B and
// float32 C and D at subgroup scope (gpu/gemm_coopmat.go), and only for
// MatMul. Not yet run on hardware: see docs/MIXED_PRECISION.md.
//
// Bindings, push constants and grid are matmul.glsl's (0 step arguments,
// 1 A, 2 B, 3 C, 4 split-K scratch, 5 bias and 6 Y of the epilogue;
// per-sample M, N, K and the batched axis), so bindMatMulWith binds it as
// any tile. Specialization constants: 0 workgroup size (= WARPS·32), 1 BM,
// 2 BN, 3 BK, 7 SPLITS, 8 TRANS_A, 9 TRANS_B, 20..23 the epilogue
// (gemm_epilogue.glsl), 24 WM, 25 WN (one subgroup's tile), 26 FM, 27 FN,
// 28 FK (the fragment shape), 29 VEC.
//
// A workgroup computes a BM×BN tile of C; subgroup w (gl_SubgroupID) the
// WM×WN block at row (w / (BN/WN))·WM, column (w % (BN/WN))·WN of it, as
// (WM/FM)×(WN/FN) float32 accumulator fragments. K advances in slices of
// BK: every thread copies its chunks of 8 consecutive values (16 bytes,
// along the operand's fast axis in memory) of the next A and B slices into
// registers while the current slice is multiplied from shared memory, so
// the global loads overlap the tensor-core work. Shared memory keeps each
// slice in the operand's own memory order (A: BM rows of BK when A is
// stored m×k, BK rows of BM when TRANS_A; B: BK rows of BN, or BN rows of
// BK when TRANS_B), rows padded by 8 values, so that each chunk is one
// 16-byte store; the fragment loads read it row-major or column-major
// accordingly. The shared arrays are uvec4, so fragment offsets and
// strides are in units of 8 values (GL_NV_cooperative_matrix: element i
// of the array is buf[element + row·stride]); every one is a multiple of
// 8 values, which also keeps them 16-byte aligned as VK_NV_cooperative_
// matrix requires. Finished fragments go through a per-subgroup FM×FN
// float32 staging area in shared memory to the generic store (bounds,
// epilogue, split-K), so edge tiles and the fused epilogue work as in the
// other tiles.
//
// VEC: the host guarantees BM | gM, BN | gN and BK | gK for every row
// count (so every slice is whole and every chunk starts at a multiple of
// 8 values): chunks are single 16-byte loads without bounds checks.
// Otherwise each chunk is 8 checked scalar loads, zero outside the
// product and outside this workgroup's slice of K.

#include "common.glsl" // step arguments at binding 0; workgroup size at constant 0

layout(constant_id = 1) const uint BM = 128;
layout(constant_id = 2) const uint BN = 128;
layout(constant_id = 3) const uint BK = 32;
layout(constant_id = 7) const uint SPLITS = 1;
layout(constant_id = 8) const bool TRANS_A = false;
layout(constant_id = 9) const bool TRANS_B = false;
layout(constant_id = 24) const uint WM = 64;
layout(constant_id = 25) const uint WN = 32;
layout(constant_id = 26) const uint FM = 16;
layout(constant_id = 27) const uint FN = 16;
layout(constant_id = 28) const uint FK = 16;
layout(constant_id = 29) const bool VEC = false;

layout(push_constant, std430) uniform Push {
    uint pM;
    uint pN;
    uint pK;
    uint batchAxis;
};

layout(std430, set = 0, binding = 1) readonly buffer A_ { float16_t a[]; };
layout(std430, set = 0, binding = 2) readonly buffer B_ { float16_t b[]; };
// The same A and B, eight values at a time (VEC).
layout(std430, set = 0, binding = 1) readonly buffer A8_ { uvec4 a8[]; };
layout(std430, set = 0, binding = 2) readonly buffer B8_ { uvec4 b8[]; };
layout(std430, set = 0, binding = 3) writeonly buffer C_ { float c[]; };
layout(std430, set = 0, binding = 4) writeonly buffer Scratch { float scratch[]; };

#define EPI_BIAS_BINDING 5
#define EPI_Y_BINDING 6
#include "activation.glsl"
#include "rectifier.glsl"
#include "gemm_epilogue.glsl"

const uint WG = gl_WorkGroupSize.x;
const uint WARPS_N = BN / WN;
const uint FRAG_M = WM / FM; // fragments per subgroup, down and across
const uint FRAG_N = WN / FN;
// The shared slices: rows of A_LEN (B_LEN) values in memory order, each
// row padded by 8 values (spreading the rows over the banks), strides SA
// and SB in uvec4 units.
const uint A_LEN = TRANS_A ? BM : BK;
const uint A_ROWS = TRANS_A ? BK : BM;
const uint B_LEN = TRANS_B ? BK : BN;
const uint B_ROWS = TRANS_B ? BN : BK;
const uint SA = (A_LEN + 8) / 8;
const uint SB = (B_LEN + 8) / 8;
shared uvec4 As[A_ROWS * SA];
shared uvec4 Bs[B_ROWS * SB];
// The staging area's row stride in floats (16-byte multiple, FN is).
const uint SC = FN + 4;
shared float Cs[(BM / WM) * WARPS_N * FM * SC];

// Chunks of 8 values per thread per slice; the host keeps BM·BK and
// BN·BK multiples of 8·WG.
const uint A_CH = BM * BK / 8 / WG;
const uint B_CH = BN * BK / 8 / WG;

uint gM, gN, gK;

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

// The slice of K this workgroup sums: [kb, ke), as matmul_core.glsl.
void kRange(uint split, out uint kb, out uint ke) {
    uint per = ((gK + SPLITS - 1) / SPLITS + BK - 1) / BK * BK;
    kb = split * per;
    ke = min(gK, kb + per);
}

// A(m, k) and B(k, n) of the product, zero outside it or past ke.
float16_t elemA(uint m, uint k, uint ke) {
    if (m >= gM || k >= ke) {
        return float16_t(0.0);
    }
    return TRANS_A ? a[k * gM + m] : a[m * gK + k];
}

float16_t elemB(uint k, uint n, uint ke) {
    if (n >= gN || k >= ke) {
        return float16_t(0.0);
    }
    return TRANS_B ? b[n * gK + k] : b[k * gN + n];
}

uvec4 pack8(float16_t v[8]) {
    return uvec4(packFloat2x16(f16vec2(v[0], v[1])), packFloat2x16(f16vec2(v[2], v[3])),
        packFloat2x16(f16vec2(v[4], v[5])), packFloat2x16(f16vec2(v[6], v[7])));
}

// Chunk c of a slice: (row, first column) in the slice's memory order.
uvec2 chunkA(uint c) {
    return uvec2(c / (A_LEN / 8), c % (A_LEN / 8) * 8);
}

uvec2 chunkB(uint c) {
    return uvec2(c / (B_LEN / 8), c % (B_LEN / 8) * 8);
}

// fetchA is chunk c of A's slice at k0 of the tile at row m0: rows are k
// and columns m when TRANS_A, else rows m and columns k.
uvec4 fetchA(uint m0, uint k0, uint ke, uint c) {
    uvec2 p = chunkA(c);
    uint m = m0 + (TRANS_A ? p.y : p.x), k = k0 + (TRANS_A ? p.x : p.y);
    if (VEC) {
        return a8[(TRANS_A ? k * gM + m : m * gK + k) / 8];
    }
    float16_t v[8];
    [[unroll]] for (uint j = 0; j < 8; j++) {
        v[j] = TRANS_A ? elemA(m + j, k, ke) : elemA(m, k + j, ke);
    }
    return pack8(v);
}

// fetchB is chunk c of B's slice at k0 of the tile at column n0: rows are
// n and columns k when TRANS_B, else rows k and columns n.
uvec4 fetchB(uint n0, uint k0, uint ke, uint c) {
    uvec2 p = chunkB(c);
    uint k = k0 + (TRANS_B ? p.y : p.x), n = n0 + (TRANS_B ? p.x : p.y);
    if (VEC) {
        return b8[(TRANS_B ? n * gK + k : k * gN + n) / 8];
    }
    float16_t v[8];
    [[unroll]] for (uint j = 0; j < 8; j++) {
        v[j] = TRANS_B ? elemB(k + j, n, ke) : elemB(k, n + j, ke);
    }
    return pack8(v);
}

// loadA is A's fragment at rows m, columns k of the slice in shared memory.
void loadA(out fcoopmatNV<16, gl_ScopeSubgroup, FM, FK> f, uint m, uint k) {
    if (TRANS_A) {
        coopMatLoadNV(f, As, (k * (A_LEN + 8) + m) / 8, SA, true);
    } else {
        coopMatLoadNV(f, As, (m * (A_LEN + 8) + k) / 8, SA, false);
    }
}

// loadB is B's fragment at rows k, columns n of the slice.
void loadB(out fcoopmatNV<16, gl_ScopeSubgroup, FK, FN> f, uint k, uint n) {
    if (TRANS_B) {
        coopMatLoadNV(f, Bs, (n * (B_LEN + 8) + k) / 8, SB, true);
    } else {
        coopMatLoadNV(f, Bs, (k * (B_LEN + 8) + n) / 8, SB, false);
    }
}

void gemmStore(uint split, uint m, uint n, float v) {
    if (SPLITS > 1) {
        scratch[(split * gM + m) * gN + n] = v;
        return;
    }
    c[m * gN + n] = epilogue(m * gN + n, n, v);
}

void main() {
    gemmDims();
    uint tilesN = (gN + BN - 1) / BN;
    uint mTile = gl_WorkGroupID.x + gl_WorkGroupID.z * gl_NumWorkGroups.x;
    uint nTile = gl_WorkGroupID.y % tilesN;
    uint split = gl_WorkGroupID.y / tilesN;
    uint m0 = mTile * BM;
    uint n0 = nTile * BN;
    if (m0 >= gM || split >= SPLITS) {
        return; // uniform across the workgroup
    }
    uint kb, ke;
    kRange(split, kb, ke);
    uint lid = gl_LocalInvocationIndex;
    uint warp = gl_SubgroupID;
    uint wm0 = warp / WARPS_N * WM;
    uint wn0 = warp % WARPS_N * WN;

    fcoopmatNV<32, gl_ScopeSubgroup, FM, FN> acc[FRAG_M * FRAG_N];
    [[unroll]] for (uint i = 0; i < FRAG_M * FRAG_N; i++) {
        acc[i] = fcoopmatNV<32, gl_ScopeSubgroup, FM, FN>(0.0);
    }
    uvec4 ra[A_CH], rb[B_CH];
    if (kb < ke) {
        [[unroll]] for (uint i = 0; i < A_CH; i++) {
            ra[i] = fetchA(m0, kb, ke, lid + i * WG);
        }
        [[unroll]] for (uint i = 0; i < B_CH; i++) {
            rb[i] = fetchB(n0, kb, ke, lid + i * WG);
        }
    }
    for (uint k0 = kb; k0 < ke; k0 += BK) {
        barrier(); // every fragment load of the previous slice is done
        [[unroll]] for (uint i = 0; i < A_CH; i++) {
            uvec2 p = chunkA(lid + i * WG);
            As[p.x * SA + p.y / 8] = ra[i];
        }
        [[unroll]] for (uint i = 0; i < B_CH; i++) {
            uvec2 p = chunkB(lid + i * WG);
            Bs[p.x * SB + p.y / 8] = rb[i];
        }
        barrier();
        if (k0 + BK < ke) { // the next slice's loads fly while this one multiplies
            [[unroll]] for (uint i = 0; i < A_CH; i++) {
                ra[i] = fetchA(m0, k0 + BK, ke, lid + i * WG);
            }
            [[unroll]] for (uint i = 0; i < B_CH; i++) {
                rb[i] = fetchB(n0, k0 + BK, ke, lid + i * WG);
            }
        }
        [[unroll]] for (uint kk = 0; kk < BK; kk += FK) {
            fcoopmatNV<16, gl_ScopeSubgroup, FM, FK> fa[FRAG_M];
            [[unroll]] for (uint i = 0; i < FRAG_M; i++) {
                loadA(fa[i], wm0 + i * FM, kk);
            }
            [[unroll]] for (uint j = 0; j < FRAG_N; j++) {
                fcoopmatNV<16, gl_ScopeSubgroup, FK, FN> fb;
                loadB(fb, kk, wn0 + j * FN);
                [[unroll]] for (uint i = 0; i < FRAG_M; i++) {
                    acc[i * FRAG_N + j] = coopMatMulAddNV(fa[i], fb, acc[i * FRAG_N + j]);
                }
            }
        }
    }

    // Each fragment through this subgroup's staging area to the store.
    uint stage = warp * FM * SC;
    [[unroll]] for (uint i = 0; i < FRAG_M; i++) {
        [[unroll]] for (uint j = 0; j < FRAG_N; j++) {
            coopMatStoreNV(acc[i * FRAG_N + j], Cs, stage, SC, false);
            subgroupMemoryBarrierShared();
            subgroupBarrier();
            for (uint e = gl_SubgroupInvocationID; e < FM * FN; e += gl_SubgroupSize) {
                uint r = e / FN, col = e % FN;
                uint m = m0 + wm0 + i * FM + r, n = n0 + wn0 + j * FN + col;
                if (m < gM && n < gN) {
                    gemmStore(split, m, n, Cs[stage + r * SC + col]);
                }
            }
            subgroupBarrier(); // read before the next fragment overwrites
        }
    }
}
