#version 450
// depthwise_fwd: DepthwiseConv2D forward (tensor.DepthwiseConv2D). One
// invocation per output element y[n, oh, ow, c·dm+m] sums x·w over the
// kh·kw taps inside the image. CPU reference: cpuref/depthwise.go.
// Bindings: 0 step arguments, 1 X, 2 W, 3 Y. Specialization constants 1..14: depthwise.glsl.
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"
#include "depthwise.glsl"

layout(std430, set = 0, binding = 1) readonly buffer X_ { float x[]; };
layout(std430, set = 0, binding = 2) readonly buffer W_ { float wt[]; };
layout(std430, set = 0, binding = 3) writeonly buffer Y_ { float y[]; };

void main() {
    uint cd = uint(c * dm);
    uint n = args.rows * uint(oh * ow) * cd;
    for (uint i = gl_GlobalInvocationID.x; i < n; i += grid_stride()) {
        int ch = int(i % cd);           // c·dm + m
        int ci = ch / dm;
        int pos = int(i / cd);          // (n·oh + r)·ow + col
        int col = pos % ow;
        int r = (pos / ow) % oh;
        int base = (pos / (ow * oh)) * h * w * c;
        float s = 0.0;
        for (int a = 0; a < kh; a++) {
            int ih = r * sh + a * dh - pt;
            if (ih < 0 || ih >= h) {
                continue;
            }
            for (int b = 0; b < kw; b++) {
                int iw = col * sw + b * dw - pl;
                if (iw < 0 || iw >= w) {
                    continue;
                }
                s += x[base + (ih * w + iw) * c + ci] * wt[(a * kw + b) * int(cd) + ch];
            }
        }
        y[i] = s;
    }
}
