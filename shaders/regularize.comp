#version 450
// regularize: tensor.Regularize, a Keras L1/L2/L1L2 weight penalty:
//   Grad += l1·sign(w) + (2·l2)·w           (when has_grad)
//   LossSum[0] += rows·(l1·Σ|w| + l2·Σw²)
// One workgroup: each invocation updates a strided share of the gradient
// and sums its share of |w| and w², then reduce.glsl's tree adds the shares
// in a fixed order and invocation 0 adds the penalty, so the loss is
// reproducible without float atomics. CPU reference: cpuref/regularize.go.
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"
#include "reduce.glsl"

layout(std430, set = 0, binding = 1) readonly buffer Param { float w[]; };
layout(std430, set = 0, binding = 2) buffer Grad { float grad[]; };
layout(std430, set = 0, binding = 3) buffer LossSum { float loss_sum[]; };

layout(push_constant, std430) uniform Push {
    uint size;
    float l1;
    float l2;
    float l2x2;    // 2·l2, exact, as cpuref computes it
    uint has_grad; // 0 in the Eval routine: Grad is a dummy
};

void main() {
    float sa = 0.0;
    float sq = 0.0;
    for (uint i = gl_LocalInvocationID.x; i < size; i += gl_WorkGroupSize.x) {
        float x = w[i];
        sa += abs(x);
        sq += x * x;
        if (has_grad != 0u) {
            grad[i] += l1 * sign(x) + l2x2 * x;
        }
    }
    sa = wg_sum(sa);
    sq = wg_sum(sq);
    if (gl_LocalInvocationID.x == 0u) {
        loss_sum[0] += float(args.rows) * (l1 * sa + l2 * sq);
    }
}
