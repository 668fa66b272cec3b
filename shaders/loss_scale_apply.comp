#version 450
// loss_scale_apply: X *= scale[0] over rows·size values (size when not
// batched) (tensor.ApplyLossScale). CPU reference: cpuref/mixed.go.
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"

layout(std430, set = 0, binding = 1) buffer X { float x[]; };
layout(std430, set = 0, binding = 2) readonly buffer Scale { float scale[]; };

layout(push_constant, std430) uniform Push {
    uint size;       // values per sample, or in all when per_sample is 0
    uint per_sample; // 1 when the buffers are batched
};

void main() {
    uint n = per_sample != 0u ? args.rows * size : size;
    float s = scale[0];
    for (uint i = gl_GlobalInvocationID.x; i < n; i += grid_stride()) {
        x[i] *= s;
    }
}
