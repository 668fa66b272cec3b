#version 450
// augment_contrast_backward: the gradient of RandomContrast
// (tensor.RandomContrast2DBackward). One invocation per (image, channel):
// the forward factor and mean again, then, with m the pixels the clip left
// unchanged, s = Σ m·dy (serially, in float32) and
// dx = f·m·dy + (1 − f)·s/pixels.
// CPU reference: cpuref/augment_backward.go, contrast2DBackward.
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"

layout(std430, set = 0, binding = 1) readonly buffer X { float x[]; };
layout(std430, set = 0, binding = 2) readonly buffer DY { float dy[]; };
layout(std430, set = 0, binding = 3) writeonly buffer DX { float dx[]; };

layout(push_constant, std430) uniform Push {
    uint pixels, c, salt;
    float lo, hi, vmin, vmax;
};

bool kept(uint i, float mean, float f) {
    precise float v = (x[i] - mean) * f + mean;
    return v >= vmin && v <= vmax;
}

void main() {
    uint n = args.rows * c;
    for (uint t = gl_GlobalInvocationID.x; t < n; t += grid_stride()) {
        uint img = t / c;
        uint ch = t - img * c;
        precise float d = hi - lo;
        precise float f = lo + uniform01(salt, args.row_offset + img) * d;
        uint base = img * pixels * c + ch;
        float sum = 0.0;
        for (uint p = 0u; p < pixels; p++) {
            sum += x[base + p * c];
        }
        float mean = sum / float(pixels);
        float s = 0.0;
        for (uint p = 0u; p < pixels; p++) {
            if (kept(base + p * c, mean, f)) {
                s += dy[base + p * c];
            }
        }
        precise float g = ((1.0 - f) * s) / float(pixels);
        for (uint p = 0u; p < pixels; p++) {
            uint i = base + p * c;
            precise float v = kept(i, mean, f) ? f * dy[i] : 0.0;
            dx[i] = v + g;
        }
    }
}
