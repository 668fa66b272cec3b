#version 450
// bias_grad: DBias[c] = sum of DY[r,c] over rows·outer positions
// (tensor.BiasGrad): a column reduction (colsum.glsl), many workgroups per
// block of adjacent channels, then colsum_merge when it has several
// slices. Deterministic, no atomics.
// CPU reference: cpuref/elementwise.go, biasGrad.
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"

layout(std430, set = 0, binding = 1) readonly buffer DY { float dy[]; };
layout(std430, set = 0, binding = 2) writeonly buffer DBias { float dbias[]; }; // or the slices' partial sums

layout(push_constant, std430) uniform Push {
    uint outer;
    uint c;
    uint lanes;
    uint slices;
};

#include "colsum.glsl"

void main() {
    uint m = args.rows * outer;
    for (uint w = gl_WorkGroupID.x; w < col_items(); w += gl_NumWorkGroups.x) {
        ColItem it = col_item(w, m);
        float s = 0.0;
        if (it.ch < c) {
            for (uint r = it.lo; r < it.hi; r += it.step) {
                s += dy[r * c + it.ch];
            }
        }
        vec2 total = col_sum(vec2(s, 0.0));
        if (col_writes(it)) {
            dbias[col_out(it)] = total.x;
        }
    }
}
