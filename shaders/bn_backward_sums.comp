#version 450
// bn_backward_sums: DBeta = Σ DY and DGamma = Σ DY·x̂ per channel, x̂ the
// normalised input (tensor.BatchNormBackward, first dispatch): a column
// reduction (colsum.glsl), as bias_grad, then colsum_merge when it has
// several slices.
// CPU reference: cpuref/batchnorm.go, bnBackward.sumChunk.
// bn_backward_sums_act also applies a rectifier's backward pass first.
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"

layout(std430, set = 0, binding = 1) readonly buffer X { float x[]; };
layout(std430, set = 0, binding = 2) readonly buffer DY { float dy[]; };
layout(std430, set = 0, binding = 3) readonly buffer Mean { float mean[]; };
layout(std430, set = 0, binding = 4) readonly buffer InvStd { float invstd[]; };
layout(std430, set = 0, binding = 5) writeonly buffer DGamma { float dgamma[]; }; // or the slices' partial sums
layout(std430, set = 0, binding = 6) writeonly buffer DBeta { float dbeta[]; };   // likewise

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
        float sdy = 0.0, sdxh = 0.0;
        if (it.ch < c) {
            float mu = mean[it.ch], inv = invstd[it.ch];
            for (uint r = it.lo; r < it.hi; r += it.step) {
                uint i = r * c + it.ch;
                float g = dy[i];
                sdy += g;
                sdxh += g * ((x[i] - mu) * inv);
            }
        }
        vec2 total = col_sum(vec2(sdy, sdxh));
        if (col_writes(it)) {
            dbeta[col_out(it)] = total.x;
            dgamma[col_out(it)] = total.y;
        }
    }
}
