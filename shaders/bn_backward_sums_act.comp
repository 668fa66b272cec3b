#version 450
// bn_backward_sums_act: tensor.ActivationBackward of a ReLU or LeakyReLU
// fused into bn_backward_sums: DY = rectify_grad(G, Pre) is computed here
// (rectifier.glsl, as the activation_backward shader computes it), written
// for bn_backward_apply, and summed as bn_backward_sums sums it; one
// dispatch instead of two.
// CPU reference: cpuref/activation.go, then cpuref/batchnorm.go,
// bnBackward.sumChunk.
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"
#include "reduce.glsl"
#include "rectifier.glsl"

layout(std430, set = 0, binding = 1) readonly buffer X { float x[]; };
layout(std430, set = 0, binding = 2) buffer DY { float dy[]; };
layout(std430, set = 0, binding = 3) readonly buffer Mean { float mean[]; };
layout(std430, set = 0, binding = 4) readonly buffer InvStd { float invstd[]; };
layout(std430, set = 0, binding = 5) writeonly buffer DGamma { float dgamma[]; };
layout(std430, set = 0, binding = 6) writeonly buffer DBeta { float dbeta[]; };
layout(std430, set = 0, binding = 7) readonly buffer G { float g_in[]; };   // the activation's output gradient
layout(std430, set = 0, binding = 8) readonly buffer Pre { float pre[]; }; // the activation's input

layout(push_constant, std430) uniform Push {
    uint outer;
    uint c;
    uint fn;
    float alpha;
};

void main() {
    uint m = args.rows * outer;
    for (uint ch = gl_WorkGroupID.x; ch < c; ch += gl_NumWorkGroups.x) {
        float mu = mean[ch], inv = invstd[ch];
        float sdy = 0.0, sdxh = 0.0;
        for (uint r = gl_LocalInvocationID.x; r < m; r += gl_WorkGroupSize.x) {
            uint i = r * c + ch;
            float g = rectify_grad(fn, g_in[i], pre[i], alpha);
            dy[i] = g;
            sdy += g;
            sdxh += g * ((x[i] - mu) * inv);
        }
        sdy = wg_sum(sdy);
        sdxh = wg_sum(sdxh);
        if (gl_LocalInvocationID.x == 0u) {
            dbeta[ch] = sdy;
            dgamma[ch] = sdxh;
        }
    }
}
