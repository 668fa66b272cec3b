#version 450
// depthwise_bwd_filter: the kernel gradient of DepthwiseConv2D
// (tensor.DepthwiseConv2DBackwardFilter),
//
//   dw[a, b, ch] = Σ_p x[p's input pixel under tap (a, b), ch / dm] · dy[p, ch]
//
// over the rows·oh·ow output positions p. Workgroup (x, y) sums tap
// x / blocks, channels (x % blocks)·LANES … +LANES−1, over slice y of the
// positions: invocation t takes channel lane t % LANES (adjacent
// invocations read adjacent channels) and every (WG/LANES)-th position
// from t / LANES, then a shared-memory tree adds the position lanes. With
// one slice the sums go straight to dw; with several, slice y writes its
// partial sums to scratch[y·size + i] and matmul_reduce adds the slices
// in order. Every order is fixed: deterministic, no atomics.
// CPU reference: cpuref/depthwise.go (float64).
// Bindings: 0 step arguments, 1 X, 2 DY, 3 DW or the scratch.
// Specialization constants 0: workgroup size (a power of two);
// 1..14: depthwise.glsl; 15: LANES, a power of two dividing it; 16: SLICES.
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"
#include "depthwise.glsl"

layout(constant_id = 15) const uint LANES = 32;
layout(constant_id = 16) const uint SLICES = 1;

layout(std430, set = 0, binding = 1) readonly buffer X_ { float x[]; };
layout(std430, set = 0, binding = 2) readonly buffer DY_ { float dy[]; };
layout(std430, set = 0, binding = 3) writeonly buffer Out_ { float dst[]; };

shared float part[gl_WorkGroupSize.x];

void main() {
    const int cd = c * dm;
    const uint blocks = (uint(cd) + LANES - 1u) / LANES;
    const uint size = uint(kh * kw * cd);
    const uint plane = gl_WorkGroupSize.x / LANES; // position lanes
    uint t = gl_LocalInvocationID.x;
    uint lane = t % LANES;
    uint pos_lane = t / LANES;
    uint positions = args.rows * uint(oh * ow);
    uint per = (positions + SLICES - 1u) / SLICES;
    uint lo = gl_WorkGroupID.y * per;
    uint hi = min(lo + per, positions);
    for (uint g = gl_WorkGroupID.x; g < uint(kh * kw) * blocks; g += gl_NumWorkGroups.x) {
        int tap = int(g / blocks);
        int a = tap / kw;
        int b = tap % kw;
        int ch = int((g % blocks) * LANES + lane);
        float s = 0.0;
        if (ch < cd) {
            int ci = ch / dm;
            for (uint p = lo + pos_lane; p < hi; p += plane) {
                int col = int(p % uint(ow));
                int r = int(p / uint(ow)) % oh;
                int n = int(p / uint(ow * oh));
                int ih = r * sh + a * dh - pt;
                int iw = col * sw + b * dw - pl;
                if (ih >= 0 && ih < h && iw >= 0 && iw < w) {
                    s += x[((n * h + ih) * w + iw) * c + ci] * dy[int(p) * cd + ch];
                }
            }
        }
        part[t] = s;
        barrier();
        for (uint stride = plane / 2u; stride > 0u; stride >>= 1u) {
            if (pos_lane < stride) {
                part[t] += part[t + stride * LANES];
            }
            barrier();
        }
        if (pos_lane == 0u && ch < cd) {
            dst[gl_WorkGroupID.y * size + uint(tap * cd + ch)] = part[lane];
        }
        barrier(); // part is reused by the next group
    }
}
