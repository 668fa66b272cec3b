#version 450
// bn_backward_sums: DBeta = Σ DY and DGamma = Σ DY·x̂ per channel, x̂ the
// normalised input (tensor.BatchNormBackward, first dispatch). One
// workgroup per channel, as bias_grad.
// CPU reference: cpuref/batchnorm.go, bnBackward.sumChunk.
// bn_backward_sums_act also applies a rectifier's backward pass first.
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"
#include "reduce.glsl"

layout(std430, set = 0, binding = 1) readonly buffer X { float x[]; };
layout(std430, set = 0, binding = 2) readonly buffer DY { float dy[]; };
layout(std430, set = 0, binding = 3) readonly buffer Mean { float mean[]; };
layout(std430, set = 0, binding = 4) readonly buffer InvStd { float invstd[]; };
layout(std430, set = 0, binding = 5) writeonly buffer DGamma { float dgamma[]; };
layout(std430, set = 0, binding = 6) writeonly buffer DBeta { float dbeta[]; };

layout(push_constant, std430) uniform Push {
    uint outer;
    uint c;
};

void main() {
    uint m = args.rows * outer;
    for (uint ch = gl_WorkGroupID.x; ch < c; ch += gl_NumWorkGroups.x) {
        float mu = mean[ch], inv = invstd[ch];
        float sdy = 0.0, sdxh = 0.0;
        for (uint r = gl_LocalInvocationID.x; r < m; r += gl_WorkGroupSize.x) {
            uint i = r * c + ch;
            float g = dy[i];
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
