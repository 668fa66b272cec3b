// matmul_warp.glsl: the warp-tiled K loop of matmul_core.glsl (SHARED and
// WARP), included by it after its declarations. Read to learn from, not
// copied: siboehm/SGEMM_CUDA kernel 10 (warp tiling), ggml-vulkan mul_mm
// (warp tiles as specialization constants), NVIDIA's vk_cooperative_matrix
// shmem.comp (register staging of the next tile).
//
// Layout. The WG threads form warps of WL = (WM/TM)·(WN/TN) consecutive
// invocations (32 for the GPU tiles, one hardware warp); the warps tile the
// BM×BN workgroup tile in (BM/WM) × (BN/WN) tiles of WM×WN. Lane (lx, ly)
// of a warp holds (TM/4)·(TN/4) sub-blocks of 4×4 in registers: rows
// ly·4 + r + i·LY·4 of its warp tile (r < 4, i < TM/4), and likewise
// columns, so at each k the lanes of a warp read LY chunks of A
// and LX chunks of B, consecutive in shared memory (no bank conflicts,
// broadcast within a chunk), each chunk one 16-byte load.
//
// Pipeline. Each K slice of BK is read from global memory into registers
// while the previous one is multiplied out of shared memory; the registers
// are then stored to shared memory between two barriers. With ALIGNED the
// loads have no bounds checks; with VEC4 each is 16 bytes wide. With
// SHARED_VEC4 the shared tiles are vec4 arrays, read a chunk at a time.

#ifndef GEMM_SUBGROUP

const uint LX = WN / TN; // lanes of a warp along n, along m
const uint LY = WM / TM;
const uint WL = LX * LY;
const uint WGX = BN / WN; // warps along n
// Global loads per thread per slice: scalars, or vec4 with VEC4.
const uint V = VEC4 ? 4 : 1;
const uint A_LOADS = SHARED && WARP ? BM * BK / (V * WG) : 1;
const uint B_LOADS = SHARED && WARP ? BN * BK / (V * WG) : 1;
// The fast axis of A's loads: k when A_KFAST, m otherwise (likewise B).
const uint A_FAST = A_KFAST ? BK : BM;
const uint B_FAST = B_KFAST ? BK : BN;

// The vec4 views of the shared tiles (SHARED_VEC4; one element otherwise,
// and As, Bs shrink to one when they are used).
const uint AS4_SIZE = SHARED_VEC4 ? BK * AS_STRIDE / 4 : 1;
const uint BS4_SIZE = SHARED_VEC4 ? BK * BS_STRIDE / 4 : 1;
shared vec4 As4[AS4_SIZE];
shared vec4 Bs4[BS4_SIZE];

void putA(uint i, float v) {
    if (SHARED_VEC4) {
        As4[i / 4][i % 4] = v;
    } else {
        As[i] = v;
    }
}

void putB(uint i, float v) {
    if (SHARED_VEC4) {
        Bs4[i / 4][i % 4] = v;
    } else {
        Bs[i] = v;
    }
}

// warpSlot is where load r of thread lid goes in the A (or B) tile: the
// row or column within the tile and the k within the slice of its first
// element; further elements (VEC4) follow along the fast axis.
void warpSlot(uint e, bool kfast, uint fast, out uint mn, out uint kk) {
    uint along = (e % (fast / V)) * V;
    uint across = e / (fast / V);
    kk = kfast ? along : across;
    mn = kfast ? across : along;
}

// The per-thread state of the warp path: where each load comes from and
// goes, and the registers that stage the next slice (.x only without VEC4).
AROW wAr[A_LOADS];
uint wAMN[A_LOADS], wAKK[A_LOADS];
bool wAOK[A_LOADS];
BCOL wBc[B_LOADS];
uint wBMN[B_LOADS], wBKK[B_LOADS];
bool wBOK[B_LOADS];
vec4 wRa[A_LOADS], wRb[B_LOADS];

// warpLoad reads the slice at k0 (< ke) into the staging registers, zero
// past the edges.
void warpLoad(uint k0, uint ke) {
    for (uint r = 0; r < A_LOADS; r++) {
        uint k = k0 + wAKK[r];
#ifdef GEMM_VEC4
        if (VEC4) {
            wRa[r] = loadA4(wAr[r], k);
            continue;
        }
#endif
        wRa[r].x = (ALIGNED || (wAOK[r] && k < ke)) ? loadA(wAr[r], kAt(k)) : 0.0;
    }
    for (uint r = 0; r < B_LOADS; r++) {
        uint k = k0 + wBKK[r];
#ifdef GEMM_VEC4
        if (VEC4) {
            wRb[r] = loadB4(k, wBc[r]);
            continue;
        }
#endif
        wRb[r].x = (ALIGNED || (wBOK[r] && k < ke)) ? loadB(kAt(k), wBc[r]) : 0.0;
    }
}

void gemmWarp(uint lid, uint split, uint m0, uint n0, uint kb, uint ke) {
    uint lane = lid % WL;
    uint warp = lid / WL;
    uint rowBase = (warp / WGX) * WM + (lane / LX) * 4;
    uint colBase = (warp % WGX) * WN + (lane % LX) * 4;

    for (uint r = 0; r < A_LOADS; r++) {
        warpSlot(lid + r * WG, A_KFAST, A_FAST, wAMN[r], wAKK[r]);
        wAOK[r] = m0 + wAMN[r] < gM;
        wAr[r] = aRow(min(m0 + wAMN[r], gM - 1));
    }
    for (uint r = 0; r < B_LOADS; r++) {
        warpSlot(lid + r * WG, B_KFAST, B_FAST, wBMN[r], wBKK[r]);
        wBOK[r] = n0 + wBMN[r] < gN;
        wBc[r] = bCol(min(n0 + wBMN[r], gN - 1));
    }

    float acc[TM * TN];
    for (uint i = 0; i < TM * TN; i++) {
        acc[i] = 0.0;
    }

    for (uint k0 = kb; k0 < ke; k0 += BK) {
        if (k0 == kb) {
            // The first slice: nothing to overlap with yet.
            warpLoad(k0, ke);
        }
        barrier(); // the previous slice's readers are done
        for (uint r = 0; r < A_LOADS; r++) {
            for (uint v = 0; v < V; v++) {
                uint kk = wAKK[r] + (A_KFAST ? v : 0);
                uint mm = wAMN[r] + (A_KFAST ? 0 : v);
                putA(kk * AS_STRIDE + mm, wRa[r][v]);
            }
        }
        for (uint r = 0; r < B_LOADS; r++) {
            for (uint v = 0; v < V; v++) {
                uint kk = wBKK[r] + (B_KFAST ? v : 0);
                uint nn = wBMN[r] + (B_KFAST ? 0 : v);
                putB(kk * BS_STRIDE + nn, wRb[r][v]);
            }
        }
        barrier();
        if (k0 + BK < ke) {
            warpLoad(k0 + BK, ke);
        }
        for (uint kk = 0; kk < BK; kk++) {
            float a[TM], b[TN];
            if (SHARED_VEC4) {
                for (uint c = 0; c < TM / 4; c++) {
                    vec4 v = As4[(kk * AS_STRIDE + rowBase + c * (LY * 4)) / 4];
                    a[c * 4] = v.x;
                    a[c * 4 + 1] = v.y;
                    a[c * 4 + 2] = v.z;
                    a[c * 4 + 3] = v.w;
                }
                for (uint c = 0; c < TN / 4; c++) {
                    vec4 v = Bs4[(kk * BS_STRIDE + colBase + c * (LX * 4)) / 4];
                    b[c * 4] = v.x;
                    b[c * 4 + 1] = v.y;
                    b[c * 4 + 2] = v.z;
                    b[c * 4 + 3] = v.w;
                }
            } else {
                for (uint i = 0; i < TM; i++) {
                    a[i] = As[kk * AS_STRIDE + rowBase + (i / 4) * (LY * 4) + i % 4];
                }
                for (uint j = 0; j < TN; j++) {
                    b[j] = Bs[kk * BS_STRIDE + colBase + (j / 4) * (LX * 4) + j % 4];
                }
            }
            for (uint i = 0; i < TM; i++) {
                for (uint j = 0; j < TN; j++) {
                    acc[i * TN + j] = fma(a[i], b[j], acc[i * TN + j]);
                }
            }
        }
    }

    for (uint i = 0; i < TM; i++) {
        uint m = m0 + rowBase + (i / 4) * (LY * 4) + i % 4;
        if (m >= gM) {
            continue;
        }
        for (uint j = 0; j < TN; j++) {
            uint n = n0 + colBase + (j / 4) * (LX * 4) + j % 4;
            if (n < gN) {
                gemmStore(split, m, n, acc[i * TN + j]);
            }
        }
    }
}
#endif
