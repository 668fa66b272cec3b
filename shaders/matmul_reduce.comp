#version 450
#extension GL_GOOGLE_include_directive : require
// matmul_reduce: C[i] = Σ_s scratch[s·n + i] for i < n, s < splits, in
// order of s: the second pass of a split-K GEMM (matmul_core.glsl), so that
// each element of C has one writer and the sum order is fixed.
//
// Bindings: 0 step arguments (unused), 1 scratch, 2 C. Push constants:
// n, splits. Specialization constant 0: workgroup size. Grid-stride loop.

#include "common.glsl"

layout(std430, set = 0, binding = 1) readonly buffer Scratch { float scratch[]; };
layout(std430, set = 0, binding = 2) writeonly buffer C_ { float c[]; };

layout(push_constant, std430) uniform Push {
    uint n;
    uint splits;
};

void main() {
    for (uint i = gl_GlobalInvocationID.x; i < n; i += grid_stride()) {
        float s = 0.0;
        for (uint p = 0; p < splits; p++) {
            s += scratch[p * n + i];
        }
        c[i] = s;
    }
}
