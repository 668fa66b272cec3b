#version 450
// bn_stats: the batch statistics of tensor.BatchNormTrain. One workgroup
// per channel reduces over the rows·outer positions in two passes, mean
// first and then the sum of squared deviations (the one-pass E[x²]−E[x]²
// loses the variance to cancellation when |mean| >> std), and saves mean
// and invstd = 1/sqrt(var+eps) and updates the moving statistics. bn_apply
// then normalises. Where a channel has many positions, bn_stats_partial and
// bn_stats_merge take its place (gpu/kernel_batchnorm.go).
// CPU reference: cpuref/batchnorm.go, bnTrain.
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"
#include "reduce.glsl"

layout(std430, set = 0, binding = 1) readonly buffer X { float x[]; };

layout(push_constant, std430) uniform Push {
    uint outer;
    uint c;
    float momentum;
    float eps;
    uint unbiased; // 1: the moving variance takes the unbiased variance
};

#include "bn_stats.glsl"

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
            bn_save_stats(ch, m, mean, v);
        }
    }
}
