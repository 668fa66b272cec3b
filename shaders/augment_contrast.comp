#version 450
// augment_contrast: Keras's RandomContrast (tensor.RandomContrast2D). One
// invocation per (image, channel): the factor f = lo + u·(hi−lo) of its
// image, the channel mean summed serially over the pixels in float32, then
// clip((x − mean)·f + mean, vmin, vmax) for each pixel.
// CPU reference: cpuref/augment.go, contrast2D.
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"

layout(std430, set = 0, binding = 1) readonly buffer X { float x[]; };
layout(std430, set = 0, binding = 2) writeonly buffer Y { float y[]; };

layout(push_constant, std430) uniform Push {
    uint pixels, c, salt;
    float lo, hi, vmin, vmax;
};

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
        for (uint p = 0u; p < pixels; p++) {
            precise float v = (x[base + p * c] - mean) * f + mean;
            y[base + p * c] = min(max(v, vmin), vmax);
        }
    }
}
