#version 450
// rescale: Keras's Rescaling (tensor.Rescale), y = x·scale + offset, the
// product rounded before the sum (`precise`: no fused multiply-add).
// CPU reference: cpuref/preprocess.go, rescale.
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"

layout(std430, set = 0, binding = 1) readonly buffer X { float x[]; };
layout(std430, set = 0, binding = 2) writeonly buffer Y { float y[]; };

layout(push_constant, std430) uniform Push {
    uint size;
    float scale, offset;
};

void main() {
    uint n = args.rows * size;
    for (uint i = gl_GlobalInvocationID.x; i < n; i += grid_stride()) {
        precise float v = x[i] * scale + offset;
        y[i] = v;
    }
}
