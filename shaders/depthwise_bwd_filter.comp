#version 450
// depthwise_bwd_filter: the kernel gradient of DepthwiseConv2D
// (tensor.DepthwiseConv2DBackwardFilter). One workgroup per kernel element
// dw[a, b, c, m]: its invocations stride over the rows·oh·ow output
// positions, summing x·dy, and reduce.glsl's tree adds their shares:
// deterministic, no atomics. CPU reference: cpuref/depthwise.go (float64).
// Bindings: 0 step arguments, 1 X, 2 DY, 3 DW. Push constants: depthwise.glsl.
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"
#include "reduce.glsl"
#include "depthwise.glsl"

layout(std430, set = 0, binding = 1) readonly buffer X_ { float x[]; };
layout(std430, set = 0, binding = 2) readonly buffer DY_ { float dy[]; };
layout(std430, set = 0, binding = 3) writeonly buffer DW_ { float dwt[]; };

void main() {
    int cd = c * dm;
    uint size = uint(kh * kw * cd);
    uint positions = args.rows * uint(oh * ow);
    for (uint k = gl_WorkGroupID.x; k < size; k += gl_NumWorkGroups.x) {
        int ch = int(k % uint(cd));     // c·dm + m
        int ci = ch / dm;
        int tap = int(k / uint(cd));
        int a = tap / kw;
        int b = tap % kw;
        float s = 0.0;
        for (uint p = gl_LocalInvocationID.x; p < positions; p += gl_WorkGroupSize.x) {
            int col = int(p % uint(ow));
            int r = int(p / uint(ow)) % oh;
            int n = int(p / uint(ow * oh));
            int ih = r * sh + a * dh - pt;
            int iw = col * sw + b * dw - pl;
            if (ih >= 0 && ih < h && iw >= 0 && iw < w) {
                s += x[((n * h + ih) * w + iw) * c + ci] * dy[int(p) * cd + ch];
            }
        }
        s = wg_sum(s);
        if (gl_LocalInvocationID.x == 0u) {
            dwt[k] = s;
        }
    }
}
