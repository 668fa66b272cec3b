#version 450
// layernorm: Keras's LayerNormalization over the last axis
// (tensor.LayerNorm). One invocation per position of the valid rows: the
// mean and biased variance of its c values, summed serially in float32,
// then y = gamma·(x−mean)·rstd + beta with rstd = 1/sqrt(var+epsilon);
// stats[2p] = mean, stats[2p+1] = rstd.
// CPU reference: cpuref/layernorm.go, layerNorm (float64 sums).
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"

layout(std430, set = 0, binding = 1) readonly buffer X { float x[]; };
layout(std430, set = 0, binding = 2) readonly buffer Gamma { float gamma[]; };
layout(std430, set = 0, binding = 3) readonly buffer Beta { float beta[]; };
layout(std430, set = 0, binding = 4) writeonly buffer Y { float y[]; };
layout(std430, set = 0, binding = 5) writeonly buffer Stats { float stats[]; };

layout(push_constant, std430) uniform Push {
    uint outer;
    uint c;
    float epsilon;
};

void main() {
    uint n = args.rows * outer;
    for (uint p = gl_GlobalInvocationID.x; p < n; p += grid_stride()) {
        uint base = p * c;
        float s = 0.0;
        for (uint i = 0u; i < c; i++) {
            s += x[base + i];
        }
        float mean = s / float(c);
        float v = 0.0;
        for (uint i = 0u; i < c; i++) {
            float d = x[base + i] - mean;
            v += d * d;
        }
        float rstd = 1.0 / sqrt(v / float(c) + epsilon);
        stats[2u * p] = mean;
        stats[2u * p + 1u] = rstd;
        for (uint i = 0u; i < c; i++) {
            y[base + i] = gamma[i] * (x[base + i] - mean) * rstd + beta[i];
        }
    }
}
