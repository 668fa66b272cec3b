#version 450
// unscale_grad: G /= scale[0] over size values; found[0] becomes 1.0 when
// any result is not finite (tensor.UnscaleGrad). The flag is set with an
// atomic OR of 1.0's bits, so invocations that find one concurrently do not
// race; nothing clears it here. CPU reference: cpuref/mixed.go.
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"
#include "float16.glsl"

layout(std430, set = 0, binding = 1) buffer G { float g[]; };
layout(std430, set = 0, binding = 2) readonly buffer Scale { float scale[]; };
layout(std430, set = 0, binding = 3) buffer Found { uint found[]; };

layout(push_constant, std430) uniform Push {
    uint size;
};

void main() {
    float s = scale[0];
    bool bad = false;
    for (uint i = gl_GlobalInvocationID.x; i < size; i += grid_stride()) {
        float v = g[i] / s;
        g[i] = v;
        bad = bad || !finite(v);
    }
    if (bad) {
        atomicOr(found[0], 0x3f800000u);
    }
}
