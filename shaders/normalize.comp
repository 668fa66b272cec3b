#version 450
// normalize: Keras's Normalization (tensor.Normalize, with_mean 1) and its
// gradient (tensor.NormalizeBackward, with_mean 0: In = DY, Out = DX):
// out = (in − mean[ch]) / max(sqrt(variance[ch]), 1e-7), with
// ch = (i mod size) / inner mod width.
// CPU reference: cpuref/preprocess.go, normalize.
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"

layout(std430, set = 0, binding = 1) readonly buffer In { float src[]; };
layout(std430, set = 0, binding = 2) readonly buffer Mean { float mean[]; };
layout(std430, set = 0, binding = 3) readonly buffer Var { float variance[]; };
layout(std430, set = 0, binding = 4) writeonly buffer Out { float dst[]; };

layout(push_constant, std430) uniform Push {
    uint size, width, inner, with_mean;
};

void main() {
    uint n = args.rows * size;
    for (uint i = gl_GlobalInvocationID.x; i < n; i += grid_stride()) {
        uint ch = ((i % size) / inner) % width;
        float v = src[i];
        if (with_mean != 0u) {
            v -= mean[ch];
        }
        dst[i] = v / max(sqrt(variance[ch]), 1e-7);
    }
}
