#version 450
// loss: every tensor.LossKind. Each invocation handles one unit of a sample,
// an element for the elementwise kinds or a group of width classes for the
// categorical ones, writes its share of the sample's mean loss to
// Partial[unit] and its gradient (scaled by 1/(units·rows), the derivative
// of the mean over the batch) to Grad. sum_into then adds the partials to
// LossSum[0], so no float atomics are needed. Probs and Grad are written
// only when their flag is set (otherwise a private dummy is bound). With
// flag 4 (tensor.WeightedLoss) each sample's loss and gradient are scaled
// by Weight[sample]; with flag 8 the dense cross-entropies read each target
// as y·keep + add (Keras's label smoothing).
// CPU reference: cpuref/loss.go.
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"

layout(std430, set = 0, binding = 1) readonly buffer Pred { float pred[]; };
layout(std430, set = 0, binding = 2) readonly buffer Target { float target[]; };
layout(std430, set = 0, binding = 3) writeonly buffer Probs { float probs[]; };
layout(std430, set = 0, binding = 4) writeonly buffer Grad { float grad[]; };
layout(std430, set = 0, binding = 5) readonly buffer Weight { float weight[]; };
layout(std430, set = 0, binding = 6) writeonly buffer Partial { float partial[]; };

// kind numbers tensor.LossKind.
const uint MSE = 0u, MAE = 1u, CCE = 2u, SPARSE_CCE = 3u, BCE = 4u,
           SOFTMAX_CE = 5u, SPARSE_SOFTMAX_CE = 6u, SIGMOID_BCE = 7u, HUBER = 8u, LOGCOSH = 9u;

layout(push_constant, std430) uniform Push {
    uint kind;
    uint size;     // predictions per sample
    uint width;    // classes per group (categorical kinds)
    uint flags;    // 1: write Probs, 2: write Grad, 4: weighted, 8: smoothed
    float clip_lo; // float32(ε) and float32(1−ε): Keras clips probabilities
    float clip_hi;
    float eps;     // ε, added inside BCE's logarithms
    float delta;   // Huber's delta
    float keep;    // label smoothing: y·keep + add
    float add;
};

bool has_probs() { return (flags & 1u) != 0u; }
bool has_grad() { return (flags & 2u) != 0u; }
bool has_weight() { return (flags & 4u) != 0u; }

// smoothed reads a dense cross-entropy target, label-smoothed when asked.
float smoothed(float y) {
    return (flags & 8u) != 0u ? y * keep + add : y;
}

// log_cosh is log(cosh(a)) for a ≥ 0. Below 0.25 it is its Taylor
// series a²/2 − a⁴/12 + a⁶/45 − 17a⁸/2520 (the first term left out is
// under 7e-8 relative there), so small errors keep their a²/2: any form
// through log of a value near 1 would not, as GLSL's log is only accurate
// to 2^-21 absolute there. From 0.25 on a + log(1+e^−2a) − log 2, which
// never overflows (cosh does past a ≈ 89).
float log_cosh(float a) {
    if (a < 0.25) {
        float a2 = a * a;
        return a2 * (0.5 - a2 * (1.0 / 12.0 - a2 * (1.0 / 45.0 - a2 * (17.0 / 2520.0))));
    }
    return a + log1p_safe(exp(-2.0 * a)) - 0.69314718;
}

// element handles element i of an elementwise kind and returns its loss.
float element(uint i, float scale) {
    float p = pred[i], y = target[i];
    float l = 0.0, d = 0.0;
    if (kind == BCE || kind == SIGMOID_BCE) {
        y = smoothed(y);
    }
    if (kind == MSE) {
        float e = p - y;
        l = e * e;
        d = 2.0 * e;
    } else if (kind == MAE) {
        float e = p - y;
        l = abs(e);
        d = sign(e); // 0 at 0, as TensorFlow's sign
    } else if (kind == BCE) {
        float c = clamp(p, clip_lo, clip_hi);
        l = -(y * log(c + eps) + (1.0 - y) * log(1.0 - c + eps));
        if (p >= clip_lo && p <= clip_hi) { // clipping passes no gradient
            d = -(y / (c + eps) - (1.0 - y) / (1.0 - c + eps));
        }
    } else if (kind == HUBER) {
        float e = p - y, a = abs(e);
        l = a <= delta ? 0.5 * e * e : delta * (a - 0.5 * delta);
        d = a <= delta ? e : delta * sign(e);
    } else if (kind == LOGCOSH) {
        float e = p - y, a = abs(e);
        l = log_cosh(a);
        d = a < 15.0 ? tanh(e) : sign(e); // tanh(15) is 1 in float32
    } else { // SIGMOID_BCE: max(x,0) − x·y + log(1+e^−|x|) never overflows
        float s = sigmoid(p);
        l = max(p, 0.0) - p * y + log1p_safe(exp(-abs(p)));
        d = s - y;
        if (has_probs()) {
            probs[i] = s;
        }
    }
    if (has_grad()) {
        grad[i] = d * scale;
    }
    return l;
}

// class_index returns the class a sparse target names, or -1 when it is
// not an integer in [0, width): such a target contributes nothing.
int class_index(float t) {
    if (t >= 0.0 && t < float(width) && t == trunc(t)) {
        return int(t);
    }
    return -1;
}

// group handles group u (classes base..base+width) and returns its loss.
float group(uint u, float scale) {
    uint base = u * width;
    float l = 0.0;
    if (kind == CCE) {
        for (uint j = 0u; j < width; j++) {
            float p = pred[base + j], y = smoothed(target[base + j]);
            float c = clamp(p, clip_lo, clip_hi);
            l -= y * log(c);
            if (has_grad()) {
                grad[base + j] = (p >= clip_lo && p <= clip_hi) ? -y / c * scale : 0.0;
            }
        }
        return l;
    }
    if (kind == SPARSE_CCE) {
        int idx = class_index(target[u]);
        if (has_grad()) {
            for (uint j = 0u; j < width; j++) {
                grad[base + j] = 0.0;
            }
        }
        if (idx < 0) {
            return 0.0;
        }
        float p = pred[base + uint(idx)];
        float c = clamp(p, clip_lo, clip_hi);
        if (has_grad() && p >= clip_lo && p <= clip_hi) {
            grad[base + uint(idx)] = -1.0 / c * scale;
        }
        return -log(c);
    }
    // The fused softmax kinds. With lse = log Σ e^x the loss is
    // Σy·lse − Σy·x and its gradient softmax·Σy − y, exact also for
    // targets that do not sum to one.
    float mx = pred[base];
    for (uint j = 1u; j < width; j++) {
        mx = max(mx, pred[base + j]);
    }
    float sum = 0.0;
    for (uint j = 0u; j < width; j++) {
        sum += exp(pred[base + j] - mx);
    }
    float lse = mx + log(sum);
    bool sparse = kind == SPARSE_SOFTMAX_CE;
    int idx = sparse ? class_index(target[u]) : 0;
    float ysum = 1.0;
    if (sparse) {
        l = idx >= 0 ? lse - pred[base + uint(idx)] : 0.0;
    } else {
        ysum = 0.0;
        for (uint j = 0u; j < width; j++) {
            float y = smoothed(target[base + j]);
            ysum += y;
            l += y * (lse - pred[base + j]);
        }
    }
    for (uint j = 0u; j < width; j++) {
        float p = exp(pred[base + j] - lse);
        if (has_probs()) {
            probs[base + j] = p;
        }
        if (has_grad()) {
            float d;
            if (!sparse) {
                d = p * ysum - smoothed(target[base + j]);
            } else if (idx < 0) {
                d = 0.0;
            } else {
                d = int(j) == idx ? p - 1.0 : p;
            }
            grad[base + j] = d * scale;
        }
    }
    return l;
}

void main() {
    bool categorical = kind == CCE || kind == SPARSE_CCE || kind == SOFTMAX_CE || kind == SPARSE_SOFTMAX_CE;
    uint units = categorical ? size / width : size;
    uint n = args.rows * units;
    float scale = 1.0 / float(n); // d(mean over the batch)/d(unit value)
    float share = 1.0 / float(units);
    for (uint u = gl_GlobalInvocationID.x; u < n; u += grid_stride()) {
        if (!has_weight()) {
            float l = categorical ? group(u, scale) : element(u, scale);
            partial[u] = l * share;
            continue;
        }
        float w = weight[u / units];
        float l = categorical ? group(u, scale * w) : element(u, scale * w);
        partial[u] = l * share * w;
    }
}
