#version 450
// concat: copies one input of tensor.Concat into its slice of the last
// axis of the output: Wide[r, offset+j] = Narrow[r, j] for j < width at
// each of rows·outer positions. One dispatch per input.
// CPU reference: cpuref/elementwise.go, strided (gather).
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"

layout(std430, set = 0, binding = 1) buffer Wide { float wide[]; };
layout(std430, set = 0, binding = 2) readonly buffer Narrow { float narrow[]; };

layout(push_constant, std430) uniform Push {
    uint outer;  // positions per sample
    uint width;  // this input's values per position
    uint stride; // the output's values per position
    uint offset; // where this input starts within an output position
};

void main() {
    uint n = args.rows * outer * width;
    for (uint i = gl_GlobalInvocationID.x; i < n; i += grid_stride()) {
        uint r = i / width;
        wide[r * stride + offset + (i - r * width)] = narrow[i];
    }
}
