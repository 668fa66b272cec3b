#version 450
// bn_backward_apply: DX = gamma·invstd·(DY − mean(DY) − x̂·mean(DY·x̂)),
// the means taken from the sums bn_backward_sums wrote to DBeta and DGamma
// (tensor.BatchNormBackward, second dispatch). DX may alias DY.
// CPU reference: cpuref/batchnorm.go, bnBackward.applyChunk.
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"

layout(std430, set = 0, binding = 1) readonly buffer X { float x[]; };
layout(std430, set = 0, binding = 2) readonly buffer DY { float dy[]; };
layout(std430, set = 0, binding = 3) readonly buffer Gamma { float gamma[]; };
layout(std430, set = 0, binding = 4) readonly buffer Mean { float mean[]; };
layout(std430, set = 0, binding = 5) readonly buffer InvStd { float invstd[]; };
layout(std430, set = 0, binding = 6) readonly buffer DGamma { float dgamma[]; };
layout(std430, set = 0, binding = 7) readonly buffer DBeta { float dbeta[]; };
layout(std430, set = 0, binding = 8) buffer DX { float dx[]; };

layout(push_constant, std430) uniform Push {
    uint outer;
    uint c;
};

void main() {
    uint n = args.rows * outer * c;
    float fm = float(args.rows * outer);
    for (uint i = gl_GlobalInvocationID.x; i < n; i += grid_stride()) {
        uint ch = i % c;
        float inv = invstd[ch];
        float xh = (x[i] - mean[ch]) * inv;
        dx[i] = (gamma[ch] * inv) * (dy[i] - dbeta[ch] / fm - xh * (dgamma[ch] / fm));
    }
}
