#version 450
// bn_infer_act: bn_infer followed by tensor.Activation's ReLU or LeakyReLU
// in one dispatch: Y as bn_infer computes it, and Out = rectify(Y) as the
// activation shader (rectifier.glsl), the same float32 operations as the
// two dispatches it replaces.
// CPU reference: cpuref/batchnorm.go, bnInfer, then cpuref/activation.go.
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"
#include "rectifier.glsl"

layout(std430, set = 0, binding = 1) readonly buffer X { float x[]; };
layout(std430, set = 0, binding = 2) readonly buffer Gamma { float gamma[]; };
layout(std430, set = 0, binding = 3) readonly buffer Beta { float beta[]; };
layout(std430, set = 0, binding = 4) readonly buffer MovingMean { float moving_mean[]; };
layout(std430, set = 0, binding = 5) readonly buffer MovingVar { float moving_var[]; };
layout(std430, set = 0, binding = 6) buffer Y { float y[]; };
layout(std430, set = 0, binding = 7) buffer Out { float out_[]; };

layout(push_constant, std430) uniform Push {
    uint outer;
    uint c;
    float eps;
    uint fn;
    float alpha;
};

void main() {
    uint n = args.rows * outer * c;
    for (uint i = gl_GlobalInvocationID.x; i < n; i += grid_stride()) {
        uint ch = i % c;
        float scale = gamma[ch] / sqrt(moving_var[ch] + eps);
        float v = (x[i] - moving_mean[ch]) * scale + beta[ch];
        y[i] = v;
        out_[i] = rectify(fn, v, alpha);
    }
}
