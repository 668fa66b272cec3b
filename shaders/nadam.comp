#version 450
// nadam: tensor.NadamUpdate over size values, as Keras 3's Nadam
// (nadam.glsl, which nadam_bda shares for a group of updates). Invocation
// 0 updates element 0, so it alone stores Π_t. CPU reference:
// cpuref/nadam.go.
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"
#include "optim.glsl"
#include "nadam.glsl"

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
    NadamStep s = nadam_step(beta1, ln_b2, ln_decay);
    float prod = NADAM_PROD(product);
    if (gl_GlobalInvocationID.x == 0u) {
        NADAM_STORE(product, prod)
    }
    vec2 ab = nadam_ab(s, prod);
    for (uint i = gl_GlobalInvocationID.x; i < size; i += grid_stride()) {
        NADAM_STEP(param[i], grad[i], m1[i], m2[i], ab)
    }
}
