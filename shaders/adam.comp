#version 450
// adam: tensor.AdamUpdate over size values, as Keras 3:
//   M += (Grad−M)(1−β1); V += (Grad²−V)(1−β2);
//   Param −= α·M/(sqrt(V)+ε), α = lr·sqrt(1−β2^t)/(1−β1^t).
// The step t changes with every replay, so α is computed here, in float32:
// 1−β^t = −expm1(t·ln β) with ln β computed on the host in float64 (a
// static push constant) and expm1 by its Taylor series where the argument is
// small, which keeps 1−β^t accurate to a few ulp also for t = 1, where the
// naive 1 − pow(β, t) loses about half its digits to cancellation.
// CPU reference: cpuref/optim.go, adam (which computes α in float64).
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"

layout(std430, set = 0, binding = 1) buffer Param { float param[]; };
layout(std430, set = 0, binding = 2) readonly buffer Grad { float grad[]; };
layout(std430, set = 0, binding = 3) buffer M { float m1[]; };
layout(std430, set = 0, binding = 4) buffer V { float m2[]; };

layout(push_constant, std430) uniform Push {
    uint size;
    float one_minus_b1; // 1−β1 and 1−β2, rounded to float32 as in cpuref
    float one_minus_b2;
    float eps;
    float ln_b1;        // ln β1 and ln β2 (−inf for β = 0)
    float ln_b2;
};

// expm1 is e^x − 1 for x <= 0 without cancellation near 0.
float expm1(float x) {
    if (x > -0.5) {
        // Horner form of x + x²/2! + ... + x^10/10!; the first omitted term
        // is below 2^-26 of the result for |x| <= 0.5.
        float s = 1.0;
        for (int k = 10; k >= 2; k--) {
            s = 1.0 + s * x / float(k);
        }
        return x * s;
    }
    return exp(x) - 1.0;
}

void main() {
    float t = float(args.step_lo) + float(args.step_hi) * 4294967296.0;
    float c1 = -expm1(t * ln_b1); // 1 − β1^t
    float c2 = -expm1(t * ln_b2); // 1 − β2^t
    float alpha = args.lr * sqrt(c2) / c1;
    for (uint i = gl_GlobalInvocationID.x; i < size; i += grid_stride()) {
        float g = grad[i];
        float m = m1[i] + (g - m1[i]) * one_minus_b1;
        float v = m2[i] + (g * g - m2[i]) * one_minus_b2;
        m1[i] = m;
        m2[i] = v;
        param[i] -= m * alpha / (sqrt(v) + eps);
    }
}
