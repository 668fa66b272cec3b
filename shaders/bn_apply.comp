#version 450
// bn_apply: Y = (X − mean)·(gamma·invstd) + beta with the statistics
// bn_stats saved (tensor.BatchNormTrain, second dispatch).
// CPU reference: cpuref/batchnorm.go, bnTrain.applyChunk. bn_apply_act
// also applies a rectifier.
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"

layout(std430, set = 0, binding = 1) readonly buffer X { float x[]; };
layout(std430, set = 0, binding = 2) readonly buffer Gamma { float gamma[]; };
layout(std430, set = 0, binding = 3) readonly buffer Beta { float beta[]; };
layout(std430, set = 0, binding = 4) readonly buffer Mean { float mean[]; };
layout(std430, set = 0, binding = 5) readonly buffer InvStd { float invstd[]; };
layout(std430, set = 0, binding = 6) buffer Y { float y[]; };

layout(push_constant, std430) uniform Push {
    uint outer;
    uint c;
};

void main() {
    uint n = args.rows * outer * c;
    for (uint i = gl_GlobalInvocationID.x; i < n; i += grid_stride()) {
        uint ch = i % c;
        y[i] = (x[i] - mean[ch]) * (gamma[ch] * invstd[ch]) + beta[ch];
    }
}
