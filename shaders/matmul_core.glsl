// matmul_core.glsl: the tiled, register-blocked GEMM engine that matmul and
// the three convolution shaders share. It computes C[m,n] = Σ_k A(m,k)·B(k,n)
// for m < gM, n < gN, k < gK, one writer per element of C, no atomics.
//
// The includer defines, before including this file:
//   AROW, BCOL, KI   types: what a row of A, a column of B and a k index
//                    precompute once (an offset, a decoded position, ...)
//   A_KFAST, B_KFAST bools (may be specialization-constant expressions):
//                    consecutive k are adjacent in memory for A (else
//                    consecutive m are), for B (else consecutive n are);
//                    they only order the cooperative loads into shared
//                    memory so that neighbouring threads read neighbouring
//                    words
//   GEMM_SCRATCH_BINDING (optional) enables split-K: partial products of
//                    SPLITS slices of K go to a scratch buffer at that
//                    binding, [SPLITS][gM][gN], which matmul_reduce sums
//   GEMM_SUBGROUP    (optional) selects the subgroup variant below; the
//                    .comp file enables GL_KHR_shader_subgroup_shuffle
//   GEMM_VEC4        (optional) the includer also defines
//                    vec4 loadA4(AROW r, uint k) and vec4 loadB4(uint k, BCOL c),
//                    four elements along the operand's fast axis (k when
//                    KFAST, else m or n) from a 16-byte aligned address;
//                    this lets the host set VEC4
// and after it, the functions:
//   void  gemmDims()              sets gM, gN, gK for this dispatch (args.rows)
//   AROW  aRow(uint m)            m < gM
//   BCOL  bCol(uint n)            n < gN
//   KI    kAt(uint k)             k < gK
//   float loadA(AROW r, KI k)
//   float loadB(KI k, BCOL c)
//   void  storeC(uint m, uint n, float v)
//
// A workgroup computes a BM×BN tile of C (specialization constants 0..7).
// Three ways to run the K loop:
//   - SHARED: WX·WY = (BN/TN)·(BM/TM) threads; thread (tx, ty) holds rows
//     ty + i·WY and columns tx + j·WX of the tile, i < TM, j < TN, in
//     registers, and K advances in slices of BK staged through shared
//     memory (GPUs). Strided rather than contiguous ownership keeps the
//     loads and stores of neighbouring threads adjacent.
//   - not SHARED: the same layout, each thread streaming its own operands
//     from memory (CPU drivers without the subgroup variant).
//   - GEMM_SUBGROUP: one subgroup of BN/TN lanes per workgroup (lavapipe:
//     8). Lane l loads row r·SG + l of A and columns j·SG + l of B, and
//     subgroupShuffle hands every lane every row: one load per lane then
//     feeds SG rows. On lavapipe each memory access is a loop over the
//     SIMD lanes, so loads, not arithmetic, bound the speed, and this cuts
//     them several-fold.
//   - SHARED and WARP (constants 24..28, see gemmWarp below): the layout
//     for GPUs with 32-wide warps: warp tiles of WM×WN inside the
//     workgroup tile, 4×4 sub-blocks per thread, the next K slice loaded
//     into registers while the current one computes, optionally without
//     bounds checks (ALIGNED) and with 16-byte loads (VEC4).
//
// Grid: x (+ z·numX when x overflows) numbers tiles of M, y numbers tiles
// of N times SPLITS. Tiles past gM return at once (the batch may be short).

#include "common.glsl" // step arguments at binding 0; workgroup size at constant 0

layout(constant_id = 1) const uint BM = 64;
layout(constant_id = 2) const uint BN = 64;
layout(constant_id = 3) const uint BK = 16;
layout(constant_id = 4) const uint TM = 4;
layout(constant_id = 5) const uint TN = 4;
layout(constant_id = 6) const bool SHARED = true;
layout(constant_id = 7) const uint SPLITS = 1;
// Constants 8..23 belong to the includers; the engine's own go on at 24.
layout(constant_id = 24) const bool WARP = false;
layout(constant_id = 25) const uint WM = 32; // warp tile (WARP only)
layout(constant_id = 26) const uint WN = 32;
// ALIGNED: the host guarantees BM | gM, BN | gN and BK | gK for every row
// count, so the warp path loads without bounds checks. VEC4 (which implies
// ALIGNED) also guarantees the 16-byte alignment GEMM_VEC4 needs.
layout(constant_id = 27) const bool ALIGNED = false;
layout(constant_id = 28) const bool VEC4 = false;
// SHARED_VEC4 (warp path): the shared tiles are vec4 arrays, so that each
// thread reads its 4-row chunks with one 16-byte shared load.
layout(constant_id = 29) const bool SHARED_VEC4 = false;

const uint WX = BN / TN;
const uint WY = BM / TM;
const uint WG = WX * WY;
// Loads per thread per K-slice; the host keeps BM·BK and BN·BK multiples of WG.
const uint A_SLOTS = SHARED ? BM * BK / WG : 1;
const uint B_SLOTS = SHARED ? BN * BK / WG : 1;
// Shared tiles are k-major with one word of padding per k row, so that
// k-fast stores of consecutive threads land in different banks. Without
// SHARED they shrink to one word.
// The warp path pads by 4 words instead, keeping each thread's 4-row
// chunks 16-byte aligned (one 128-bit shared load) at the cost of 2-way
// conflicts on the stores, which are an eighth as many as the loads.
const uint PAD = WARP ? 4 : 1;
const uint AS_STRIDE = BM + PAD;
const uint BS_STRIDE = BN + PAD;
const uint AS_SIZE = SHARED && !SHARED_VEC4 ? BK * AS_STRIDE : 1;
const uint BS_SIZE = SHARED && !SHARED_VEC4 ? BK * BS_STRIDE : 1;
shared float As[AS_SIZE];
shared float Bs[BS_SIZE];

#ifdef GEMM_SCRATCH_BINDING
layout(std430, set = 0, binding = GEMM_SCRATCH_BINDING) writeonly buffer Scratch { float scratch[]; };
#endif

uint gM, gN, gK;

void gemmDims();
AROW aRow(uint m);
BCOL bCol(uint n);
KI kAt(uint k);
float loadA(AROW r, KI k);
float loadB(KI k, BCOL c);
void storeC(uint m, uint n, float v);

void gemmStore(uint split, uint m, uint n, float v) {
#ifdef GEMM_SCRATCH_BINDING
    if (SPLITS > 1) {
        scratch[(split * gM + m) * gN + n] = v;
        return;
    }
#endif
    storeC(m, n, v);
}

// The slice of K this workgroup sums: [kb, ke). Slices are whole BK steps.
void kRange(uint split, out uint kb, out uint ke) {
    uint per = ((gK + SPLITS - 1) / SPLITS + BK - 1) / BK * BK;
    kb = split * per;
    ke = min(gK, kb + per);
}

#include "matmul_warp.glsl"

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
    uint lid = gl_LocalInvocationIndex;
    uint tx = lid % WX;
    uint ty = lid / WX;
    uint kb, ke;
    kRange(split, kb, ke);
#ifndef GEMM_SUBGROUP
    if (SHARED && WARP) {
        gemmWarp(lid, split, m0, n0, kb, ke);
        return;
    }
#endif

#ifdef GEMM_SUBGROUP
    const uint ACC = BM * TN;
#else
    const uint ACC = TM * TN;
#endif
    float acc[ACC];
    for (uint i = 0; i < ACC; i++) {
        acc[i] = 0.0;
    }

#ifdef GEMM_SUBGROUP
    {
        const uint SG = WX; // lanes, one subgroup
        const uint TMS = BM / SG;
        uint lane = gl_SubgroupInvocationID;
        AROW ar[TMS];
        for (uint r = 0; r < TMS; r++) {
            ar[r] = aRow(min(m0 + r * SG + lane, gM - 1));
        }
        BCOL bc[TN];
        for (uint j = 0; j < TN; j++) {
            bc[j] = bCol(min(n0 + j * SG + lane, gN - 1));
        }
        for (uint k = kb; k < ke; k++) {
            KI ki = kAt(k);
            float a[TMS], b[TN];
            for (uint r = 0; r < TMS; r++) {
                a[r] = loadA(ar[r], ki);
            }
            for (uint j = 0; j < TN; j++) {
                b[j] = loadB(ki, bc[j]);
            }
            for (uint r = 0; r < TMS; r++) {
                for (uint i = 0; i < SG; i++) {
                    float ai = subgroupShuffle(a[r], i);
                    for (uint j = 0; j < TN; j++) {
                        acc[(r * SG + i) * TN + j] = fma(ai, b[j], acc[(r * SG + i) * TN + j]);
                    }
                }
            }
        }
        for (uint row = 0; row < BM; row++) {
            uint m = m0 + row;
            if (m >= gM) {
                break;
            }
            for (uint j = 0; j < TN; j++) {
                uint n = n0 + j * SG + lane;
                if (n < gN) {
                    gemmStore(split, m, n, acc[row * TN + j]);
                }
            }
        }
        return;
    }
#endif
    if (SHARED) {
        // Each thread loads fixed (row, k) slots of every slice; the row
        // part of the address is decoded once.
        AROW ar[A_SLOTS];
        uint aMM[A_SLOTS], aKK[A_SLOTS];
        bool aOK[A_SLOTS];
        for (uint r = 0; r < A_SLOTS; r++) {
            uint e = lid + r * WG;
            aKK[r] = A_KFAST ? e % BK : e / BM;
            aMM[r] = A_KFAST ? e / BK : e % BM;
            aOK[r] = m0 + aMM[r] < gM;
            ar[r] = aRow(min(m0 + aMM[r], gM - 1));
        }
        BCOL bc[B_SLOTS];
        uint bNN[B_SLOTS], bKK[B_SLOTS];
        bool bOK[B_SLOTS];
        for (uint r = 0; r < B_SLOTS; r++) {
            uint e = lid + r * WG;
            bKK[r] = B_KFAST ? e % BK : e / BN;
            bNN[r] = B_KFAST ? e / BK : e % BN;
            bOK[r] = n0 + bNN[r] < gN;
            bc[r] = bCol(min(n0 + bNN[r], gN - 1));
        }
        for (uint k0 = kb; k0 < ke; k0 += BK) {
            for (uint r = 0; r < A_SLOTS; r++) {
                uint k = k0 + aKK[r];
                As[aKK[r] * AS_STRIDE + aMM[r]] = (aOK[r] && k < ke) ? loadA(ar[r], kAt(k)) : 0.0;
            }
            for (uint r = 0; r < B_SLOTS; r++) {
                uint k = k0 + bKK[r];
                Bs[bKK[r] * BS_STRIDE + bNN[r]] = (bOK[r] && k < ke) ? loadB(kAt(k), bc[r]) : 0.0;
            }
            barrier();
            for (uint kk = 0; kk < BK; kk++) {
                float a[TM], b[TN];
                for (uint i = 0; i < TM; i++) {
                    a[i] = As[kk * AS_STRIDE + ty + i * WY];
                }
                for (uint j = 0; j < TN; j++) {
                    b[j] = Bs[kk * BS_STRIDE + tx + j * WX];
                }
                for (uint i = 0; i < TM; i++) {
                    for (uint j = 0; j < TN; j++) {
                        acc[i * TN + j] = fma(a[i], b[j], acc[i * TN + j]);
                    }
                }
            }
            barrier();
        }
    } else {
        // Rows and columns past the edge repeat the last one: their loads
        // stay in bounds and their sums are never stored.
        AROW ar[TM];
        for (uint i = 0; i < TM; i++) {
            ar[i] = aRow(min(m0 + ty + i * WY, gM - 1));
        }
        BCOL bc[TN];
        for (uint j = 0; j < TN; j++) {
            bc[j] = bCol(min(n0 + tx + j * WX, gN - 1));
        }
        for (uint k = kb; k < ke; k++) {
            KI ki = kAt(k);
            float a[TM], b[TN];
            for (uint i = 0; i < TM; i++) {
                a[i] = loadA(ar[i], ki);
            }
            for (uint j = 0; j < TN; j++) {
                b[j] = loadB(ki, bc[j]);
            }
            for (uint i = 0; i < TM; i++) {
                for (uint j = 0; j < TN; j++) {
                    acc[i * TN + j] = fma(a[i], b[j], acc[i * TN + j]);
                }
            }
        }
    }

    for (uint i = 0; i < TM; i++) {
        uint m = m0 + ty + i * WY;
        if (m >= gM) {
            break;
        }
        for (uint j = 0; j < TN; j++) {
            uint n = n0 + tx + j * WX;
            if (n < gN) {
                gemmStore(split, m, n, acc[i * TN + j]);
            }
        }
    }
}
