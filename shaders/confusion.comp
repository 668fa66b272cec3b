#version 450
// confusion: tensor.ConfusionCounts. One workgroup per bin (a grid-stride
// loop over bins): each invocation counts a strided share of the valid
// elements in integers, a shared-memory tree adds the shares, and the first
// invocation adds the bin's exact counts to the float accumulator, once per
// step as cpuref does. Integer sums do not depend on order, so the counts
// match cpuref's bit for bit.
// CPU reference: cpuref/confusion.go.
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"

layout(std430, set = 0, binding = 1) readonly buffer Pred { float pred[]; };
layout(std430, set = 0, binding = 2) readonly buffer Target { float target[]; };
layout(std430, set = 0, binding = 3) buffer Counts { float counts[]; }; // [tp, fp, fn, tn][bins]

// mode numbers tensor.CountMode.
const uint THRESHOLD = 0u, BUCKET = 1u, CLASS = 2u;

layout(push_constant, std430) uniform Push {
    uint mode;
    uint size;
    uint width;
    uint bins;
    float threshold;
    uint by_max;
    uint k; // tensor.ConfusionCounts.K: 0, or only the k largest of a group may be positive
};

shared uvec4 wg_counts[gl_WorkGroupSize.x];

// auc_bucket is tensor.AUCBucket: max(0, ceil(clip(p, 0, 1)·(bins−1)) − 1),
// with NaN in bucket 0. precise keeps the product a rounded float32.
uint auc_bucket(float p) {
    if (!(p > 0.0)) {
        return 0u;
    }
    precise float scaled = min(p, 1.0) * float(bins - 1u);
    return uint(max(ceil(scaled) - 1.0, 0.0));
}

// in_top_k is tensor.InTopKByIndex for element i of its group: fewer
// than k values come before it, ties going to the lower index.
bool in_top_k(uint i) {
    uint g = i - i % width;
    float p = pred[i];
    uint before = 0u;
    for (uint j = g; j < g + width; j++) {
        float v = pred[j];
        before += (v > p || (v == p && j < i)) ? 1u : 0u;
    }
    return before < k;
}

// predicted decides element i in bin b.
bool predicted(uint i, uint b) {
    float p = pred[i];
    if (mode == BUCKET) {
        return auc_bucket(p) >= b;
    }
    if (mode == CLASS && by_max != 0u) {
        uint g = i - i % width;
        float top = pred[g];
        for (uint j = 1u; j < width; j++) {
            top = max(top, pred[g + j]);
        }
        return p >= top && abs(p) > 1e-9 && (k == 0u || in_top_k(i));
    }
    return p > threshold && (k == 0u || in_top_k(i));
}

void main() {
    uint n = args.rows * size;
    uint t = gl_LocalInvocationID.x;
    for (uint b = gl_WorkGroupID.x; b < bins; b += gl_NumWorkGroups.x) {
        // CLASS visits only its class's elements: i = group·width + b.
        uint first = mode == CLASS ? b : 0u;
        uint stride = mode == CLASS ? width : 1u;
        uvec4 c = uvec4(0u); // tp, fp, fn, tn
        for (uint i = first + t * stride; i < n; i += gl_WorkGroupSize.x * stride) {
            bool pos = predicted(i, b), actual = target[i] != 0.0;
            c += uvec4(pos && actual ? 1u : 0u, pos && !actual ? 1u : 0u, !pos && actual ? 1u : 0u,
                       !pos && !actual ? 1u : 0u);
        }
        wg_counts[t] = c;
        barrier();
        for (uint s = gl_WorkGroupSize.x / 2u; s > 0u; s >>= 1u) {
            if (t < s) {
                wg_counts[t] += wg_counts[t + s];
            }
            barrier();
        }
        if (t == 0u) {
            uvec4 total = wg_counts[0];
            counts[b] += float(total.x);
            counts[bins + b] += float(total.y);
            counts[2u * bins + b] += float(total.z);
            counts[3u * bins + b] += float(total.w);
        }
        barrier(); // the total is read before the next bin overwrites it
    }
}
