#version 450
// upsample2d: Keras's UpSampling2D, nearest (tensor.UpSample2D). One
// invocation per output element: y[n, H, W, c] = x[n, H/sh, W/sw, c].
// CPU reference: cpuref/upsample.go, upSample.
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"

layout(std430, set = 0, binding = 1) readonly buffer X { float x[]; };
layout(std430, set = 0, binding = 2) writeonly buffer Y { float y[]; };

layout(push_constant, std430) uniform Push {
    uint h, w, c, sh, sw;
};

void main() {
    uint bw = w * sw;
    uint n = args.rows * h * sh * bw * c;
    for (uint i = gl_GlobalInvocationID.x; i < n; i += grid_stride()) {
        uint ch = i % c;
        uint col = (i / c) % bw;
        uint row = i / (c * bw); // n·(h·sh) + output row
        uint img = row / (h * sh);
        uint r = row - img * h * sh;
        y[i] = x[((img * h + r / sh) * w + col / sw) * c + ch];
    }
}
