#version 450
// sgd_bda: tensor.SGDUpdate of every parameter of an update group with one
// set of hyperparameters in one dispatch (bda.glsl), each element as
// sgd.comp updates it (optim.glsl). CPU reference: cpuref/optim.go, sgd.
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"
#include "optim.glsl"
#define BDA_PER 3u // param, grad, velocity
#include "bda.glsl"

layout(push_constant, std430) uniform Push {
    uint total;        // elements in the group
    uint ntensors;     // tensors in the group (the table's n)
    float momentum;
    uint nesterov;
    uint has_velocity; // 0 when momentum is 0: every Velocity is a dummy
};

// Element i of tensor k's buffers.
#define PARAM BDA_BUF(k, 0u, ntensors).v[i]
#define GRAD BDA_BUF(k, 1u, ntensors).v[i]
#define VELOCITY BDA_BUF(k, 2u, ntensors).v[i]

void main() {
    float lr = args.lr;
    for (uint j = gl_GlobalInvocationID.x; j < total; j += grid_stride()) {
        uint k = bda_find(j, ntensors);
        uint i = j - tab[k];
        SGD_STEP(PARAM, GRAD, VELOCITY);
    }
}
