#version 450
// bn_stats_partial: the first pass of tensor.BatchNormTrain's statistics
// for channels of many positions. The rows·outer positions of each channel
// are cut into `slices` contiguous slices of nearly equal length, and one
// workgroup per (channel, slice) finds the slice's mean and sum of squared
// deviations from it in two passes over the slice (as bn_stats does over
// the whole channel), so C·slices workgroups share the work that bn_stats
// gives C. bn_stats_merge then combines the slices in a fixed order: the
// result does not depend on scheduling, and no float atomics are used.
// CPU reference: cpuref/batchnorm.go, bnTrain.
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"
#include "reduce.glsl"

layout(std430, set = 0, binding = 1) readonly buffer X { float x[]; };
layout(std430, set = 0, binding = 2) writeonly buffer Partial { vec2 partial[]; }; // (mean, M2) by ch·slices + s

layout(push_constant, std430) uniform Push {
    uint outer;
    uint c;
    uint slices;
};

#include "bn_slices.glsl"

void main() {
    uint m = args.rows * outer;
    for (uint w = gl_WorkGroupID.x; w < c * slices; w += gl_NumWorkGroups.x) {
        uint ch = w % c;
        uint s = w / c;
        uint lo = slice_start(m, s);
        uint n = slice_start(m, s + 1u) - lo;
        float sum = 0.0;
        for (uint r = lo + gl_LocalInvocationID.x; r < lo + n; r += gl_WorkGroupSize.x) {
            sum += x[r * c + ch];
        }
        float total = wg_sum(sum);
        float mean = n > 0u ? total / float(n) : 0.0;
        float q = 0.0;
        for (uint r = lo + gl_LocalInvocationID.x; r < lo + n; r += gl_WorkGroupSize.x) {
            float d = x[r * c + ch] - mean;
            q += d * d;
        }
        float m2 = wg_sum(q);
        if (gl_LocalInvocationID.x == 0u) {
            partial[ch * slices + s] = vec2(mean, m2);
        }
    }
}
