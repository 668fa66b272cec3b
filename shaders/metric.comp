#version 450
// metric: every tensor.MetricKind. Each invocation handles one unit of a
// sample, a group of width values for the accuracies over classes or an
// element otherwise, and writes its share of the sample's mean to
// Partial[unit]; sum_into adds the partials to Sum[0]. Ties in argmax go
// to the first maximal element, as tf.argmax.
// CPU reference: cpuref/metric.go.
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"

layout(std430, set = 0, binding = 1) readonly buffer Pred { float pred[]; };
layout(std430, set = 0, binding = 2) readonly buffer Target { float target[]; };
layout(std430, set = 0, binding = 3) writeonly buffer Partial { float partial[]; };

// kind numbers tensor.MetricKind.
const uint CATEGORICAL = 0u, SPARSE_CATEGORICAL = 1u, BINARY = 2u, MEAN_ABS = 3u, MEAN_SQ = 4u, TOP_K = 5u,
           SPARSE_TOP_K = 6u;

layout(push_constant, std430) uniform Push {
    uint kind;
    uint size;
    uint width;
    uint k; // the top-k kinds' k
};

uint argmax_pred(uint base) {
    uint best = 0u;
    for (uint j = 1u; j < width; j++) {
        if (pred[base + j] > pred[base + best]) {
            best = j;
        }
    }
    return best;
}

uint argmax_target(uint base) {
    uint best = 0u;
    for (uint j = 1u; j < width; j++) {
        if (target[base + j] > target[base + best]) {
            best = j;
        }
    }
    return best;
}

// in_top_k is tensor.InTopK for the group at base: fewer than k values
// exceed the class's; a class outside the group (a sparse target that is
// not a whole number in range) is never in.
bool in_top_k(uint base, float cls) {
    if (!(cls >= 0.0 && cls < float(width) && cls == floor(cls))) {
        return false;
    }
    float v = pred[base + uint(cls)];
    uint above = 0u;
    for (uint j = 0u; j < width; j++) {
        above += pred[base + j] > v ? 1u : 0u;
    }
    return above < k;
}

void main() {
    bool grouped = kind == CATEGORICAL || kind == SPARSE_CATEGORICAL || kind == TOP_K || kind == SPARSE_TOP_K;
    uint units = grouped ? size / width : size;
    uint n = args.rows * units;
    float share = 1.0 / float(units);
    for (uint u = gl_GlobalInvocationID.x; u < n; u += grid_stride()) {
        float v;
        if (kind == CATEGORICAL) {
            v = argmax_pred(u * width) == argmax_target(u * width) ? 1.0 : 0.0;
        } else if (kind == SPARSE_CATEGORICAL) {
            v = float(argmax_pred(u * width)) == target[u] ? 1.0 : 0.0;
        } else if (kind == TOP_K) {
            v = in_top_k(u * width, float(argmax_target(u * width))) ? 1.0 : 0.0;
        } else if (kind == SPARSE_TOP_K) {
            v = in_top_k(u * width, target[u]) ? 1.0 : 0.0;
        } else {
            float p = pred[u], y = target[u];
            if (kind == BINARY) {
                v = (p > 0.5 ? 1.0 : 0.0) == y ? 1.0 : 0.0;
            } else if (kind == MEAN_ABS) {
                v = abs(p - y);
            } else {
                float d = p - y;
                v = d * d;
            }
        }
        partial[u] = v * share;
    }
}
