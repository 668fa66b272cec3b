#version 450
// nadam: tensor.NadamUpdate over size values, as Keras 3's Nadam: with
// u_s = β1·(1 − 0.5·0.96^s) and Π_t = u_1·…·u_t,
//   M += (Grad−M)(1−β1); V += (Grad²−V)(1−β2);
//   m̂ = a·M + b·Grad, a = u_{t+1}/(1−Π_t·u_{t+1}), b = (1−u_t)/(1−Π_t);
//   Param −= lr·m̂/(sqrt(V/c2)+ε), c2 = 1−β2^t.
// Π is state: every invocation reads Π_{t−1} from product[(t−1) mod 2] (1
// at t = 1) and forms Π_t alike; invocation 0 alone stores it at
// product[t mod 2], which no invocation of this step reads. The scalars
// change with the step, so they are computed here in float32 (0.96^s as
// exp(s·ln 0.96), 1−β2^t as adam_alpha's −expm1). CPU reference:
// cpuref/nadam.go (which computes them in float64).
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"
#include "optim.glsl"

layout(std430, set = 0, binding = 1) buffer Param { float param[]; };
layout(std430, set = 0, binding = 2) readonly buffer Grad { float grad[]; };
layout(std430, set = 0, binding = 3) buffer M { float m1[]; };
layout(std430, set = 0, binding = 4) buffer V { float m2[]; };
layout(std430, set = 0, binding = 5) buffer Product { float product[]; };

layout(push_constant, std430) uniform Push {
    uint size;
    float one_minus_b1; // 1−β1 and 1−β2, rounded to float32 as in cpuref
    float one_minus_b2;
    float eps;
    float beta1;
    float ln_b2;        // ln β2 (−inf for β2 = 0)
    float ln_decay;     // ln 0.96, taken in float64 on the host
};

void main() {
    float t = float(args.step_lo) + float(args.step_hi) * 4294967296.0;
    float ut = beta1 * (1.0 - 0.5 * exp(t * ln_decay));
    float ut1 = beta1 * (1.0 - 0.5 * exp((t + 1.0) * ln_decay));
    bool first = args.step_lo == 1u && args.step_hi == 0u;
    float prev = first ? 1.0 : product[(args.step_lo - 1u) & 1u];
    float prod = prev * ut;
    if (gl_GlobalInvocationID.x == 0u) {
        product[args.step_lo & 1u] = prod;
    }
    float a = ut1 / (1.0 - prod * ut1);
    float b = (1.0 - ut) / (1.0 - prod);
    float c2 = -expm1(t * ln_b2);
    for (uint i = gl_GlobalInvocationID.x; i < size; i += grid_stride()) {
        float g = grad[i];
        float m = m1[i] + (g - m1[i]) * one_minus_b1;
        float v = m2[i] + (g * g - m2[i]) * one_minus_b2;
        m1[i] = m;
        m2[i] = v;
        param[i] -= args.lr * (a * m + b * g) / (sqrt(v / c2) + eps);
    }
}
