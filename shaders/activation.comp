#version 450
// activation: Y = fn(X) over rows·size values (tensor.Activation). Softmax
// normalises each group of width consecutive values, one invocation per
// group; X and Y may be the same buffer except for softmax.
// CPU reference: cpuref/activation.go, activation.
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"
#include "activation.glsl"
#include "rectifier.glsl"
#include "act_elem.glsl"

layout(std430, set = 0, binding = 1) readonly buffer X { float x[]; };
layout(std430, set = 0, binding = 2) buffer Y { float y[]; };

// fn numbers tensor.ActFn: linear, relu, leaky_relu, sigmoid, tanh, softmax,
// then the smooth ones of activation.glsl: gelu, silu, elu, selu, softplus.
layout(push_constant, std430) uniform Push {
    uint size;   // values per sample
    uint width;  // softmax group size
    uint fn;
    float alpha; // leaky_relu's negative slope
};

void softmax_group(uint base) {
    float m = x[base];
    for (uint j = 1u; j < width; j++) {
        m = max(m, x[base + j]);
    }
    // Subtracting the maximum keeps every exponent <= 0: nothing overflows.
    float sum = 0.0;
    for (uint j = 0u; j < width; j++) {
        float e = exp(x[base + j] - m);
        y[base + j] = e;
        sum += e;
    }
    float inv = 1.0 / sum;
    for (uint j = 0u; j < width; j++) {
        y[base + j] *= inv;
    }
}

void main() {
    uint n = args.rows * size;
    if (fn == 5u) {
        for (uint g = gl_GlobalInvocationID.x; g < n / width; g += grid_stride()) {
            softmax_group(g * width);
        }
        return;
    }
    for (uint i = gl_GlobalInvocationID.x; i < n; i += grid_stride()) {
        y[i] = act_elem(fn, x[i], alpha);
    }
}
