#version 450
// depthwise_bwd_data: the input gradient of DepthwiseConv2D
// (tensor.DepthwiseConv2DBackwardData). One invocation per input element
// dx[n, ih, iw, c] gathers dy·w over the taps that read it and the dm
// filters of its channel: no atomics. CPU reference: cpuref/depthwise.go.
// Bindings: 0 step arguments, 1 DY, 2 W, 3 DX. Specialization constants 1..14: depthwise.glsl.
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"
#include "depthwise.glsl"

layout(std430, set = 0, binding = 1) readonly buffer DY_ { float dy[]; };
layout(std430, set = 0, binding = 2) readonly buffer W_ { float wt[]; };
layout(std430, set = 0, binding = 3) writeonly buffer DX_ { float dx[]; };

void main() {
    int cd = c * dm;
    uint n = args.rows * uint(h * w * c);
    for (uint i = gl_GlobalInvocationID.x; i < n; i += grid_stride()) {
        int ci = int(i % uint(c));
        int pos = int(i / uint(c));     // (n·h + ih)·w + iw
        int iw = pos % w;
        int ih = (pos / w) % h;
        int base = (pos / (w * h)) * oh * ow * cd;
        float s = 0.0;
        for (int a = 0; a < kh; a++) {
            int r = out_of(ih, a, dh, sh, pt, oh);
            if (r < 0) {
                continue;
            }
            for (int b = 0; b < kw; b++) {
                int col = out_of(iw, b, dw, sw, pl, ow);
                if (col < 0) {
                    continue;
                }
                int o = base + (r * ow + col) * cd + ci * dm;
                int k = (a * kw + b) * cd + ci * dm;
                for (int m = 0; m < dm; m++) {
                    s += dy[o + m] * wt[k + m];
                }
            }
        }
        dx[i] = s;
    }
}
