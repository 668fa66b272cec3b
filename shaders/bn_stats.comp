#version 450
// bn_stats: the batch statistics of tensor.BatchNormTrain. One workgroup
// per channel reduces over the rows·outer positions in two passes, mean
// first and then the sum of squared deviations (the one-pass E[x²]−E[x]²
// loses the variance to cancellation when |mean| >> std), and saves mean
// and invstd = 1/sqrt(var+eps) and updates the moving statistics. bn_apply
// then normalises.
// CPU reference: cpuref/batchnorm.go, bnTrain.
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"
#include "reduce.glsl"

layout(std430, set = 0, binding = 1) readonly buffer X { float x[]; };
layout(std430, set = 0, binding = 2) buffer MovingMean { float moving_mean[]; };
layout(std430, set = 0, binding = 3) buffer MovingVar { float moving_var[]; };
layout(std430, set = 0, binding = 4) writeonly buffer Mean { float mean_out[]; };
layout(std430, set = 0, binding = 5) writeonly buffer InvStd { float invstd_out[]; };

layout(push_constant, std430) uniform Push {
    uint outer;
    uint c;
    float momentum;
    float eps;
    uint unbiased; // 1: the moving variance takes the unbiased variance
};

void main() {
    uint m = args.rows * outer;
    float fm = float(m);
    for (uint ch = gl_WorkGroupID.x; ch < c; ch += gl_NumWorkGroups.x) {
        float s = 0.0;
        for (uint r = gl_LocalInvocationID.x; r < m; r += gl_WorkGroupSize.x) {
            s += x[r * c + ch];
        }
        float mean = wg_sum(s) / fm;
        float q = 0.0;
        for (uint r = gl_LocalInvocationID.x; r < m; r += gl_WorkGroupSize.x) {
            float d = x[r * c + ch] - mean;
            q += d * d;
        }
        float v = wg_sum(q) / fm;
        if (gl_LocalInvocationID.x == 0u) {
            mean_out[ch] = mean;
            invstd_out[ch] = 1.0 / sqrt(v + eps);
            if (unbiased != 0u && m > 1u) {
                // With one element the unbiased variance is undefined; the
                // biased one (0) is used instead, as in cpuref.
                v *= fm / (fm - 1.0);
            }
            moving_mean[ch] = moving_mean[ch] * momentum + mean * (1.0 - momentum);
            moving_var[ch] = moving_var[ch] * momentum + v * (1.0 - momentum);
        }
    }
}
