#version 450
// clip_gradient: tensor.ClipGradient, Grad clipped in place as Keras 3's
// optimizers clip, with c = limit:
//   mode 0 (clipvalue):       g = clamp(g, −c, c)
//   mode 1 (clipnorm):        g = g·c / max(sqrt(norms[index]), c)
//   mode 2 (global_clipnorm): g = g·(c·min(1/N, 1/c) + (N−N)),
//                             N = sqrt(Σ_k<count norms[k]), summed in
//                             index order (N−N makes a non-finite N NaN)
// The norms come from sum_squares, so no value goes to the host. CPU
// reference: cpuref/clip.go.
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"

layout(std430, set = 0, binding = 1) buffer Grad { float grad[]; };
layout(std430, set = 0, binding = 2) readonly buffer Norms { float norms[]; };

layout(push_constant, std430) uniform Push {
    uint size;
    uint mode;
    float c;
    float inv_c; // 1/c, rounded to float32 on the host as cpuref rounds it
    uint index;
    uint count;
};

void main() {
    float div = 1.0;
    float scale = 1.0;
    if (mode == 1u) {
        div = max(sqrt(norms[index]), c);
    } else if (mode == 2u) {
        float sum = 0.0;
        for (uint k = 0u; k < count; k++) {
            sum += norms[k];
        }
        float n = sqrt(sum);
        // 1/0 is undefined in Vulkan; Keras's min(1/0, 1/c) is 1/c.
        float inv = n > 0.0 ? 1.0 / n : inv_c;
        scale = c * min(inv, inv_c) + (n - n);
    }
    for (uint i = gl_GlobalInvocationID.x; i < size; i += grid_stride()) {
        float g = grad[i];
        if (mode == 0u) {
            grad[i] = clamp(g, -c, c);
        } else if (mode == 1u) {
            grad[i] = g * c / div;
        } else {
            grad[i] = g * scale;
        }
    }
}
