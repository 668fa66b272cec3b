#version 450
// rmsprop_bda: tensor.RMSpropUpdate of every parameter of an update group
// with one set of hyperparameters in one dispatch (bda.glsl), each element
// as rmsprop.comp updates it (optim.glsl). CPU reference: cpuref/optim.go,
// rmsprop.
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"
#include "optim.glsl"
#define BDA_PER 4u // param, grad, mean square, velocity
#include "bda.glsl"

layout(push_constant, std430) uniform Push {
    uint total;        // elements in the group
    uint ntensors;     // tensors in the group (the table's n)
    float rho;
    float one_minus_rho;
    float momentum;
    float eps;
    uint has_velocity; // 0 when momentum is 0: every Velocity is a dummy
};

// Element i of tensor k's buffers.
#define PARAM BDA_BUF(k, 0u, ntensors).v[i]
#define GRAD BDA_BUF(k, 1u, ntensors).v[i]
#define MS BDA_BUF(k, 2u, ntensors).v[i]
#define VELOCITY BDA_BUF(k, 3u, ntensors).v[i]

void main() {
    float lr = args.lr;
    for (uint j = gl_GlobalInvocationID.x; j < total; j += grid_stride()) {
        uint k = bda_find(j, ntensors);
        uint i = j - tab[k];
        RMSPROP_STEP(PARAM, GRAD, MS, VELOCITY);
    }
}
