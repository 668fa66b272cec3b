#version 450
// adam: tensor.AdamUpdate over size values, as Keras 3:
//   M += (Grad−M)(1−β1); V += (Grad²−V)(1−β2);
//   Param −= α·M/(sqrt(V)+ε), α = lr·sqrt(1−β2^t)/(1−β1^t),
// after AdamW's decoupled decay Param −= Param·wd·lr when wd is not 0.
// The step t changes with every replay, so α is computed here, in float32
// (optim.glsl, adam_alpha). adam_multi updates many tensors in one dispatch.
// CPU reference: cpuref/optim.go, adam (which computes α in float64).
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"
#include "optim.glsl"

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
    float wd;           // AdamW's weight decay; 0 for Adam
};

void main() {
    float alpha = adam_alpha(ln_b1, ln_b2);
    for (uint i = gl_GlobalInvocationID.x; i < size; i += grid_stride()) {
        ADAMW_DECAY(param[i])
        ADAM_STEP(param[i], grad[i], m1[i], m2[i]);
    }
}
