#version 450
// sum_squares: Out[index] = Σ X[i]² over size values (tensor.SumSquares,
// the norms of gradient clipping). One workgroup: each invocation sums a
// strided share, then reduce.glsl's tree adds the shares in a fixed order,
// so the result is reproducible. CPU reference: cpuref/clip.go (float64).
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"
#include "reduce.glsl"

layout(std430, set = 0, binding = 1) readonly buffer X { float x[]; };
layout(std430, set = 0, binding = 2) buffer Out { float out_[]; };

layout(push_constant, std430) uniform Push {
    uint size;
    uint index;
};

void main() {
    float s = 0.0;
    for (uint i = gl_LocalInvocationID.x; i < size; i += gl_WorkGroupSize.x) {
        s += x[i] * x[i];
    }
    s = wg_sum(s);
    if (gl_LocalInvocationID.x == 0u) {
        out_[index] = s;
    }
}
