#version 450
// copy_buffer: Y = X over size values (tensor.CopyBuffer).
// CPU reference: cpuref/mixed.go.
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"

layout(std430, set = 0, binding = 1) readonly buffer X { float x[]; };
layout(std430, set = 0, binding = 2) writeonly buffer Y { float y[]; };

layout(push_constant, std430) uniform Push {
    uint size;
};

void main() {
    for (uint i = gl_GlobalInvocationID.x; i < size; i += grid_stride()) {
        y[i] = x[i];
    }
}
