#version 450
// colsum_merge: the second pass of a column reduction cut into slices
// (colsum.glsl): out0[j] = Σ_s part0[s·c + j] over s < slices, in order of
// s, for each of the c channels, and the same from part1 into out1 when
// parts is 2 (the two sums of bn_backward_sums). One writer per element and
// a fixed order: deterministic, no atomics.
// CPU reference: cpuref/elementwise.go, biasGrad; cpuref/batchnorm.go,
// bnBackward.sumChunk.
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"

layout(std430, set = 0, binding = 1) readonly buffer Part0 { float part0[]; };
layout(std430, set = 0, binding = 2) writeonly buffer Out0 { float out0[]; };
layout(std430, set = 0, binding = 3) readonly buffer Part1 { float part1[]; };
layout(std430, set = 0, binding = 4) writeonly buffer Out1 { float out1[]; };

layout(push_constant, std430) uniform Push {
    uint c;
    uint slices;
    uint parts; // 1 or 2
};

void main() {
    for (uint j = gl_GlobalInvocationID.x; j < c; j += grid_stride()) {
        float s0 = 0.0, s1 = 0.0;
        for (uint s = 0u; s < slices; s++) {
            s0 += part0[s * c + j];
        }
        out0[j] = s0;
        if (parts == 2u) {
            for (uint s = 0u; s < slices; s++) {
                s1 += part1[s * c + j];
            }
            out1[j] = s1;
        }
    }
}
