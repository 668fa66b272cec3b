#version 450
// bn_apply_act: bn_apply followed by tensor.Activation's ReLU or LeakyReLU
// in one dispatch: Y = (X − mean)·(gamma·invstd) + beta as bn_apply, and
// Out = rectify(Y) as the activation shader (rectifier.glsl), with the
// same float32 operations as the two dispatches it replaces. Y is still
// written, because the rectifier's backward pass reads it.
// CPU reference: cpuref/batchnorm.go, bnTrain, then cpuref/activation.go.
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"
#include "rectifier.glsl"

layout(std430, set = 0, binding = 1) readonly buffer X { float x[]; };
layout(std430, set = 0, binding = 2) readonly buffer Gamma { float gamma[]; };
layout(std430, set = 0, binding = 3) readonly buffer Beta { float beta[]; };
layout(std430, set = 0, binding = 4) readonly buffer Mean { float mean[]; };
layout(std430, set = 0, binding = 5) readonly buffer InvStd { float invstd[]; };
layout(std430, set = 0, binding = 6) buffer Y { float y[]; };
layout(std430, set = 0, binding = 7) buffer Out { float out_[]; };

layout(push_constant, std430) uniform Push {
    uint outer;
    uint c;
    uint fn;
    float alpha;
};

void main() {
    uint n = args.rows * outer * c;
    for (uint i = gl_GlobalInvocationID.x; i < n; i += grid_stride()) {
        uint ch = i % c;
        float v = (x[i] - mean[ch]) * (gamma[ch] * invstd[ch]) + beta[ch];
        y[i] = v;
        out_[i] = rectify(fn, v, alpha);
    }
}
