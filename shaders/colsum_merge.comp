#version 450
// colsum_merge: the second pass of a column reduction cut into slices
// (colsum.glsl): out0[j] = Σ_s part0[s·c + j] over the `partials` slices,
// for each of the c channels, and the same from part1 into out1 when parts
// is 2 (the two sums of bn_backward_sums). The partial sums are themselves
// a partials × c matrix, reduced as colsum.glsl reduces one slice: a
// workgroup per block of `lanes` channels, each position lane adding every
// plane-th slice, then the fixed tree. One writer per element and a fixed
// order: deterministic, no atomics.
// CPU reference: cpuref/elementwise.go, biasGrad; cpuref/batchnorm.go,
// bnBackward.sumChunk; cpuref/layernorm.go, layerNormParamGrad.
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"

layout(std430, set = 0, binding = 1) readonly buffer Part0 { float part0[]; };
layout(std430, set = 0, binding = 2) writeonly buffer Out0 { float out0[]; };
layout(std430, set = 0, binding = 3) readonly buffer Part1 { float part1[]; };
layout(std430, set = 0, binding = 4) writeonly buffer Out1 { float out1[]; };

layout(push_constant, std430) uniform Push {
    uint c;
    uint lanes;
    uint partials; // the first pass's slices: the rows reduced here
    uint parts;    // 1 or 2
};

// slices is colsum.glsl's: the merge is one pass over its rows.
const uint slices = 1u;

#include "colsum.glsl"

void main() {
    for (uint w = gl_WorkGroupID.x; w < col_items(); w += gl_NumWorkGroups.x) {
        ColItem it = col_item(w, partials);
        float s0 = 0.0, s1 = 0.0;
        if (it.ch < c) {
            for (uint s = it.lo; s < it.hi; s += it.step) {
                s0 += part0[s * c + it.ch];
                if (parts == 2u) {
                    s1 += part1[s * c + it.ch];
                }
            }
        }
        vec2 total = col_sum(vec2(s0, s1));
        if (col_writes(it)) {
            out0[col_out(it)] = total.x;
            if (parts == 2u) {
                out1[col_out(it)] = total.y;
            }
        }
    }
}
