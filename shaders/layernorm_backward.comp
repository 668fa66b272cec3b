#version 450
// layernorm_backward: the input gradient of LayerNormalization
// (tensor.LayerNormBackward). One invocation per position: with
// xhat = (x−mean)·rstd and g = dy·gamma,
// dx = rstd·(g − mean(g) − xhat·mean(g·xhat)) over the c values.
// CPU reference: cpuref/layernorm.go, layerNormBackward (float64 sums).
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"

layout(std430, set = 0, binding = 1) readonly buffer X { float x[]; };
layout(std430, set = 0, binding = 2) readonly buffer Stats { float stats[]; };
layout(std430, set = 0, binding = 3) readonly buffer Gamma { float gamma[]; };
layout(std430, set = 0, binding = 4) readonly buffer DY { float dy[]; };
layout(std430, set = 0, binding = 5) writeonly buffer DX { float dx[]; };

layout(push_constant, std430) uniform Push {
    uint outer;
    uint c;
};

void main() {
    uint n = args.rows * outer;
    for (uint p = gl_GlobalInvocationID.x; p < n; p += grid_stride()) {
        uint base = p * c;
        float mean = stats[2u * p], rstd = stats[2u * p + 1u];
        float sg = 0.0, sgx = 0.0;
        for (uint i = 0u; i < c; i++) {
            float g = dy[base + i] * gamma[i];
            sg += g;
            sgx += g * (x[base + i] - mean) * rstd;
        }
        sg /= float(c);
        sgx /= float(c);
        for (uint i = 0u; i < c; i++) {
            float g = dy[base + i] * gamma[i];
            float xhat = (x[base + i] - mean) * rstd;
            dx[base + i] = rstd * (g - sg - xhat * sgx);
        }
    }
}
