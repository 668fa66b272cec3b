#version 450
// upsample2d_backward: the gradient of UpSampling2D
// (tensor.UpSample2DBackward). One invocation per input element sums its
// sh×sw block of dy in order of i then j, as cpuref does: exact parity.
// CPU reference: cpuref/upsample.go, upSample.
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"

layout(std430, set = 0, binding = 1) readonly buffer DY { float dy[]; };
layout(std430, set = 0, binding = 2) writeonly buffer DX { float dx[]; };

layout(push_constant, std430) uniform Push {
    uint h, w, c, sh, sw;
};

void main() {
    uint bw = w * sw;
    uint n = args.rows * h * w * c;
    for (uint s = gl_GlobalInvocationID.x; s < n; s += grid_stride()) {
        uint ch = s % c;
        uint col = (s / c) % w;
        uint row = s / (c * w); // sample·h + row
        float sum = 0.0;
        for (uint i = 0u; i < sh; i++) {
            for (uint j = 0u; j < sw; j++) {
                sum += dy[((row * sh + i) * bw + col * sw + j) * c + ch];
            }
        }
        dx[s] = sum;
    }
}
