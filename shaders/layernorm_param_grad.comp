#version 450
// layernorm_param_grad: LayerNormalization's weight gradients
// (tensor.LayerNormParamGrad): dgamma = Σ dy·xhat, dbeta = Σ dy over the
// valid rows' positions, xhat from each position's own statistics. A
// column reduction (colsum.glsl), as bias_grad, then colsum_merge when it
// has several slices: deterministic, no atomics.
// CPU reference: cpuref/layernorm.go, layerNormParamGrad (float64 sums).
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"

layout(std430, set = 0, binding = 1) readonly buffer X { float x[]; };
layout(std430, set = 0, binding = 2) readonly buffer Stats { float stats[]; };
layout(std430, set = 0, binding = 3) readonly buffer DY { float dy[]; };
layout(std430, set = 0, binding = 4) writeonly buffer DGamma { float dgamma[]; }; // or the slices' partial sums
layout(std430, set = 0, binding = 5) writeonly buffer DBeta { float dbeta[]; };   // likewise

layout(push_constant, std430) uniform Push {
    uint outer;
    uint c;
    uint lanes;
    uint slices;
};

#include "colsum.glsl"

void main() {
    uint m = args.rows * outer;
    for (uint w = gl_WorkGroupID.x; w < col_items(); w += gl_NumWorkGroups.x) {
        ColItem it = col_item(w, m);
        float sg = 0.0, sb = 0.0;
        if (it.ch < c) {
            for (uint p = it.lo; p < it.hi; p += it.step) {
                float d = dy[p * c + it.ch];
                sg += d * (x[p * c + it.ch] - stats[2u * p]) * stats[2u * p + 1u];
                sb += d;
            }
        }
        vec2 total = col_sum(vec2(sg, sb));
        if (col_writes(it)) {
            dgamma[col_out(it)] = total.x;
            dbeta[col_out(it)] = total.y;
        }
    }
}
