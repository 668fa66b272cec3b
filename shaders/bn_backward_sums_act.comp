#version 450
// bn_backward_sums_act: tensor.ActivationBackward of a ReLU or LeakyReLU
// fused into bn_backward_sums: DY = rectify_grad(G, Pre) is computed here
// (rectifier.glsl, as the activation_backward shader computes it), written
// for bn_backward_apply, and summed as bn_backward_sums sums it (the same
// column reduction, so the same sums bit for bit); one dispatch instead of
// two.
// CPU reference: cpuref/activation.go, then cpuref/batchnorm.go,
// bnBackward.sumChunk.
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"
#include "rectifier.glsl"

layout(std430, set = 0, binding = 1) readonly buffer X { float x[]; };
layout(std430, set = 0, binding = 2) buffer DY { float dy[]; };
layout(std430, set = 0, binding = 3) readonly buffer Mean { float mean[]; };
layout(std430, set = 0, binding = 4) readonly buffer InvStd { float invstd[]; };
layout(std430, set = 0, binding = 5) writeonly buffer DGamma { float dgamma[]; }; // or the slices' partial sums
layout(std430, set = 0, binding = 6) writeonly buffer DBeta { float dbeta[]; };   // likewise
layout(std430, set = 0, binding = 7) readonly buffer G { float g_in[]; };   // the activation's output gradient
layout(std430, set = 0, binding = 8) readonly buffer Pre { float pre[]; }; // the activation's input

layout(push_constant, std430) uniform Push {
    uint outer;
    uint c;
    uint fn;
    float alpha;
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
                float g = rectify_grad(fn, g_in[i], pre[i], alpha);
                dy[i] = g;
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
