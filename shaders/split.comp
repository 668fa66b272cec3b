#version 450
// split: copies one slice of the last axis of tensor.Split's input into
// its own output: Narrow[r, j] = Wide[r, offset+j] for j < width at each of
// rows·outer positions. One dispatch per output.
// CPU reference: cpuref/elementwise.go, strided (scatter).
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"

layout(std430, set = 0, binding = 1) readonly buffer Wide { float wide[]; };
layout(std430, set = 0, binding = 2) writeonly buffer Narrow { float narrow[]; };

layout(push_constant, std430) uniform Push {
    uint outer;
    uint width;
    uint stride;
    uint offset;
};

void main() {
    uint n = args.rows * outer * width;
    for (uint i = gl_GlobalInvocationID.x; i < n; i += grid_stride()) {
        uint r = i / width;
        narrow[i] = wide[r * stride + offset + (i - r * width)];
    }
}
