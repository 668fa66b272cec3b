#version 450
// bias_add: Y[r,c] = X[r,c] + Bias[c] over rows·outer positions of c
// channels (tensor.BiasAdd). X and Y may be the same buffer.
// CPU reference: cpuref/elementwise.go, biasAdd.
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"

layout(std430, set = 0, binding = 1) readonly buffer X { float x[]; };
layout(std430, set = 0, binding = 2) readonly buffer Bias { float bias[]; };
layout(std430, set = 0, binding = 3) buffer Y { float y[]; };

layout(push_constant, std430) uniform Push {
    uint outer; // positions per sample
    uint c;     // channels
};

void main() {
    uint n = args.rows * outer * c;
    for (uint i = gl_GlobalInvocationID.x; i < n; i += grid_stride()) {
        y[i] = x[i] + bias[i % c];
    }
}
