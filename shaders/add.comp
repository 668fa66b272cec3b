#version 450
// add: Y = A + B elementwise over rows·size values, or size values when
// the buffers are not batched (tensor.Add, Unbatched). Y may alias A or B.
// CPU reference: cpuref/elementwise.go, add.
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"

layout(std430, set = 0, binding = 1) readonly buffer A { float a[]; };
layout(std430, set = 0, binding = 2) readonly buffer B { float b[]; };
layout(std430, set = 0, binding = 3) buffer Y { float y[]; };

layout(push_constant, std430) uniform Push {
    uint size;       // values per sample, or in all when per_sample is 0
    uint per_sample; // 1 when the buffers are batched
};

void main() {
    uint n = per_sample != 0u ? args.rows * size : size;
    for (uint i = gl_GlobalInvocationID.x; i < n; i += grid_stride()) {
        y[i] = a[i] + b[i];
    }
}
