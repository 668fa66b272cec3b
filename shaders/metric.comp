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
const uint CATEGORICAL = 0u, SPARSE_CATEGORICAL = 1u, BINARY = 2u, MEAN_ABS = 3u, MEAN_SQ = 4u;

layout(push_constant, std430) uniform Push {
    uint kind;
    uint size;
    uint width;
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

void main() {
    bool grouped = kind == CATEGORICAL || kind == SPARSE_CATEGORICAL;
    uint units = grouped ? size / width : size;
    uint n = args.rows * units;
    float share = 1.0 / float(units);
    for (uint u = gl_GlobalInvocationID.x; u < n; u += grid_stride()) {
        float v;
        if (kind == CATEGORICAL) {
            v = argmax_pred(u * width) == argmax_target(u * width) ? 1.0 : 0.0;
        } else if (kind == SPARSE_CATEGORICAL) {
            v = float(argmax_pred(u * width)) == target[u] ? 1.0 : 0.0;
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
