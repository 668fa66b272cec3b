#version 450
// axpy: y[i] = a * x[i] + y[i] for i < n.
// CPU reference: the loop in gpu/axpy_test.go.
// Grid-stride loop, so any group count covers any n.

layout(local_size_x_id = 0) in;

layout(std430, set = 0, binding = 0) readonly buffer X { float x[]; };
layout(std430, set = 0, binding = 1) buffer Y { float y[]; };

layout(push_constant, std430) uniform Push {
    uint n;
    float a;
};

void main() {
    uint stride = gl_NumWorkGroups.x * gl_WorkGroupSize.x;
    for (uint i = gl_GlobalInvocationID.x; i < n; i += stride) {
        y[i] = fma(a, x[i], y[i]);
    }
}
