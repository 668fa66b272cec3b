#version 450
#extension GL_GOOGLE_include_directive : require
// matmul_reduce: C[i] = Σ_s scratch[s·total + i] for i < total, s <
// splits, in order of s: the second pass of a split-K GEMM
// (matmul_core.glsl), so that each element of C has one writer and the sum
// order is fixed. total is n, or n·args.rows when C is batched (its rows
// grow with the batch, and those past the valid ones stay untouched).
//
// It applies a fused GEMM's epilogue (gemm_epilogue.glsl) to each sum,
// the product's columns being cols wide.
//
// Bindings: 0 step arguments, 1 scratch, 2 C, 3 bias and 4 Y of the
// epilogue (dummies when unused). Push constants: n, splits, batched (0 or
// 1), cols. Specialization constants 0: workgroup size; 20..23: the
// epilogue. Grid-stride loop.

#include "common.glsl"
#include "activation.glsl"
#include "rectifier.glsl"
#define EPI_BIAS_BINDING 3
#define EPI_Y_BINDING 4
#include "gemm_epilogue.glsl"

layout(std430, set = 0, binding = 1) readonly buffer Scratch { float scratch[]; };
layout(std430, set = 0, binding = 2) writeonly buffer C_ { float c[]; };

layout(push_constant, std430) uniform Push {
    uint n;
    uint splits;
    uint batched;
    uint cols;
};

void main() {
    uint total = batched != 0 ? n * args.rows : n;
    for (uint i = gl_GlobalInvocationID.x; i < total; i += grid_stride()) {
        float s = 0.0;
        for (uint p = 0; p < splits; p++) {
            s += scratch[p * total + i];
        }
        c[i] = epilogue(i, EPI_BIAS ? i % cols : 0u, s);
    }
}
