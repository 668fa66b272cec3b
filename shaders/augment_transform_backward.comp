#version 450
// augment_transform_backward: the gradient of a flip or crop
// (tensor.Transform2DBackward). One invocation per input element
// (n, row, col, ch): the map src = s·dst + t (s = ±1, whole t) inverts
// exactly to dst = s·(src − t), so each input pixel gathers the gradient
// of the one output pixel that read it, or 0.
// CPU reference: cpuref/augment_backward.go, transform2DBackward.
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"

layout(std430, set = 0, binding = 1) readonly buffer DY { float dy[]; };
layout(std430, set = 0, binding = 2) writeonly buffer DX { float dx[]; };

#include "augment.glsl"

void main() {
    uint per = h * w * c;
    uint n = args.rows * per;
    for (uint i = gl_GlobalInvocationID.x; i < n; i += grid_stride()) {
        uint img = i / per;
        uint rem = i - img * per;
        uint ch = rem % c;
        uint col = (rem / c) % w;
        uint row = rem / (c * w);
        vec4 p = params(args.row_offset + img);
        precise float fr = (float(row) - p.w) * p.z;
        precise float fc = (float(col) - p.y) * p.x;
        int orow = int(fr);
        int ocol = int(fc);
        float v = 0.0;
        if (orow >= 0 && orow < int(oh) && ocol >= 0 && ocol < int(ow)) {
            v = dy[((img * oh + uint(orow)) * ow + uint(ocol)) * c + ch];
        }
        dx[i] = v;
    }
}
