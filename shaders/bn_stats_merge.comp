#version 450
// bn_stats_merge: the second pass of tensor.BatchNormTrain's statistics
// after bn_stats_partial. One invocation per channel combines the slices'
// (mean, M2) in slice order (Chan et al.'s pairwise formula in its
// all-at-once form): mean = Σ n_s·mean_s / m, M2 = Σ M2_s + n_s·(mean_s −
// mean)², so no large sums of squares cancel; then it saves the statistics
// as bn_stats does.
// CPU reference: cpuref/batchnorm.go, bnTrain.
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"

layout(std430, set = 0, binding = 1) readonly buffer Partial { vec2 partial[]; };

layout(push_constant, std430) uniform Push {
    uint outer;
    uint c;
    uint slices;
    float momentum;
    float eps;
    uint unbiased; // 1: the moving variance takes the unbiased variance
};

#include "bn_slices.glsl"
#include "bn_stats.glsl"

void main() {
    uint m = args.rows * outer;
    for (uint ch = gl_GlobalInvocationID.x; ch < c; ch += grid_stride()) {
        float sum = 0.0;
        for (uint s = 0u; s < slices; s++) {
            float n = float(slice_start(m, s + 1u) - slice_start(m, s));
            sum += n * partial[ch * slices + s].x;
        }
        float mean = sum / float(m);
        float m2 = 0.0;
        for (uint s = 0u; s < slices; s++) {
            float n = float(slice_start(m, s + 1u) - slice_start(m, s));
            vec2 p = partial[ch * slices + s];
            float d = p.x - mean;
            m2 += p.y + n * d * d;
        }
        bn_save_stats(ch, m, mean, m2 / float(m));
    }
}
