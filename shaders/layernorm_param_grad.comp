#version 450
// layernorm_param_grad: LayerNormalization's weight gradients
// (tensor.LayerNormParamGrad). One invocation per channel sums over the
// valid rows' positions in order: dgamma = Σ dy·xhat, dbeta = Σ dy.
// CPU reference: cpuref/layernorm.go, layerNormParamGrad (float64 sums).
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"

layout(std430, set = 0, binding = 1) readonly buffer X { float x[]; };
layout(std430, set = 0, binding = 2) readonly buffer Stats { float stats[]; };
layout(std430, set = 0, binding = 3) readonly buffer DY { float dy[]; };
layout(std430, set = 0, binding = 4) writeonly buffer DGamma { float dgamma[]; };
layout(std430, set = 0, binding = 5) writeonly buffer DBeta { float dbeta[]; };

layout(push_constant, std430) uniform Push {
    uint outer;
    uint c;
};

void main() {
    uint n = args.rows * outer;
    for (uint i = gl_GlobalInvocationID.x; i < c; i += grid_stride()) {
        float sg = 0.0, sb = 0.0;
        for (uint p = 0u; p < n; p++) {
            float d = dy[p * c + i];
            sg += d * (x[p * c + i] - stats[2u * p]) * stats[2u * p + 1u];
            sb += d;
        }
        dgamma[i] = sg;
        dbeta[i] = sb;
    }
}
