#version 450
// activation_backward: DX = DY·fn'(X) over rows·size values
// (tensor.ActivationBackward). sigmoid, tanh and softmax read Y, the
// forward output; relu, leaky_relu and the smooth functions of
// activation.glsl read X; the other may be a dummy. DX may
// alias DY: each invocation reads its values before writing them.
// CPU reference: cpuref/activation.go, activationBackward.
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"
#include "activation.glsl"
#include "rectifier.glsl"

layout(std430, set = 0, binding = 1) readonly buffer X { float x[]; };
layout(std430, set = 0, binding = 2) readonly buffer Y { float y[]; };
layout(std430, set = 0, binding = 3) readonly buffer DY { float dy[]; };
layout(std430, set = 0, binding = 4) buffer DX { float dx[]; };

layout(push_constant, std430) uniform Push {
    uint size;
    uint width;
    uint fn;
    float alpha;
};

// softmax_group computes dx = y·(dy − Σ dy·y) for one group; the dot
// product is complete before anything is written.
void softmax_group(uint base) {
    float dot_ = 0.0;
    for (uint j = 0u; j < width; j++) {
        dot_ += y[base + j] * dy[base + j];
    }
    for (uint j = 0u; j < width; j++) {
        dx[base + j] = y[base + j] * (dy[base + j] - dot_);
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
        float g = dy[i];
        switch (fn) {
        case 1u:
        case 2u: g = rectify_grad(fn, g, x[i], alpha); break;
        case 3u: { float s = y[i]; g = g * s * (1.0 - s); break; }
        case 4u: { float t = y[i]; g = g * (1.0 - t * t); break; }
        case 0u: break;
        default: g = g * smooth_grad(fn, x[i]); break;
        }
        dx[i] = g;
    }
}
