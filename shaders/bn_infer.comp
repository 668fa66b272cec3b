#version 450
// bn_infer: Y = (X − moving_mean)·gamma/sqrt(moving_var + eps) + beta
// (tensor.BatchNormInfer).
// CPU reference: cpuref/batchnorm.go, bnInfer. bn_infer_act also applies a
// rectifier.
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"

layout(std430, set = 0, binding = 1) readonly buffer X { float x[]; };
layout(std430, set = 0, binding = 2) readonly buffer Gamma { float gamma[]; };
layout(std430, set = 0, binding = 3) readonly buffer Beta { float beta[]; };
layout(std430, set = 0, binding = 4) readonly buffer MovingMean { float moving_mean[]; };
layout(std430, set = 0, binding = 5) readonly buffer MovingVar { float moving_var[]; };
layout(std430, set = 0, binding = 6) buffer Y { float y[]; };

layout(push_constant, std430) uniform Push {
    uint outer;
    uint c;
    float eps;
};

void main() {
    uint n = args.rows * outer * c;
    for (uint i = gl_GlobalInvocationID.x; i < n; i += grid_stride()) {
        uint ch = i % c;
        float scale = gamma[ch] / sqrt(moving_var[ch] + eps);
        y[i] = (x[i] - moving_mean[ch]) * scale + beta[ch];
    }
}
