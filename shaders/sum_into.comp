#version 450
// sum_into: Acc[0] += Σ Partial[i] for i < rows·units. One workgroup: each
// invocation sums a strided share, then a shared-memory tree adds the
// shares in a fixed order, so the result is deterministic without float
// atomics. The loss and metric kernels' second dispatch.
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"
#include "reduce.glsl"

layout(std430, set = 0, binding = 1) readonly buffer Partial { float partial[]; };
layout(std430, set = 0, binding = 2) buffer Acc { float acc[]; };

layout(push_constant, std430) uniform Push {
    uint units; // partials per sample
};

void main() {
    uint n = args.rows * units;
    float s = 0.0;
    for (uint i = gl_LocalInvocationID.x; i < n; i += gl_WorkGroupSize.x) {
        s += partial[i];
    }
    s = wg_sum(s);
    if (gl_LocalInvocationID.x == 0u) {
        acc[0] += s;
    }
}
