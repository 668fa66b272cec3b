#version 450
// adam_bda: tensor.AdamUpdate of every parameter of an update group with
// one set of hyperparameters in one dispatch (bda.glsl), each element as
// adam.comp updates it (optim.glsl). CPU reference: cpuref/optim.go, adam.
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"
#include "optim.glsl"
#define BDA_PER 4u // param, grad, m, v
#include "bda.glsl"

layout(push_constant, std430) uniform Push {
    uint total;         // elements in the group
    uint ntensors;      // tensors in the group (the table's n)
    float one_minus_b1; // as in adam.comp
    float one_minus_b2;
    float eps;
    float ln_b1;
    float ln_b2;
    float wd;           // AdamW's weight decay; 0 for Adam
};

// Element i of tensor k's buffers.
#define PARAM BDA_BUF(k, 0u, ntensors).v[i]
#define GRAD BDA_BUF(k, 1u, ntensors).v[i]
#define MA BDA_BUF(k, 2u, ntensors).v[i]
#define VA BDA_BUF(k, 3u, ntensors).v[i]

void main() {
    float alpha = adam_alpha(ln_b1, ln_b2);
    for (uint j = gl_GlobalInvocationID.x; j < total; j += grid_stride()) {
        uint k = bda_find(j, ntensors);
        uint i = j - tab[k];
        ADAMW_DECAY(PARAM) ADAM_STEP(PARAM, GRAD, MA, VA);
    }
}
