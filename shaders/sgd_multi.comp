#version 450
// sgd_multi: tensor.SGDUpdate of up to MULTI_TENSORS parameters with one
// set of hyperparameters in one dispatch (multi.glsl), each element as
// sgd.comp updates it (optim.glsl). CPU reference: cpuref/optim.go, sgd.
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"
#include "optim.glsl"
#include "multi.glsl"

layout(push_constant, std430) uniform Push {
    uint off[MULTI_TENSORS + 1]; // tensor k is elements off[k] to off[k+1] of the concatenation
    float momentum;
    uint nesterov;
    uint has_velocity; // 0 when momentum is 0: every Velocity is a dummy
};

layout(std430, set = 0, binding = 1) buffer Param0 { float param0[]; };
layout(std430, set = 0, binding = 2) readonly buffer Grad0 { float grad0[]; };
layout(std430, set = 0, binding = 3) buffer Velocity0 { float velocity0[]; };
layout(std430, set = 0, binding = 4) buffer Param1 { float param1[]; };
layout(std430, set = 0, binding = 5) readonly buffer Grad1 { float grad1[]; };
layout(std430, set = 0, binding = 6) buffer Velocity1 { float velocity1[]; };
layout(std430, set = 0, binding = 7) buffer Param2 { float param2[]; };
layout(std430, set = 0, binding = 8) readonly buffer Grad2 { float grad2[]; };
layout(std430, set = 0, binding = 9) buffer Velocity2 { float velocity2[]; };
layout(std430, set = 0, binding = 10) buffer Param3 { float param3[]; };
layout(std430, set = 0, binding = 11) readonly buffer Grad3 { float grad3[]; };
layout(std430, set = 0, binding = 12) buffer Velocity3 { float velocity3[]; };
layout(std430, set = 0, binding = 13) buffer Param4 { float param4[]; };
layout(std430, set = 0, binding = 14) readonly buffer Grad4 { float grad4[]; };
layout(std430, set = 0, binding = 15) buffer Velocity4 { float velocity4[]; };
layout(std430, set = 0, binding = 16) buffer Param5 { float param5[]; };
layout(std430, set = 0, binding = 17) readonly buffer Grad5 { float grad5[]; };
layout(std430, set = 0, binding = 18) buffer Velocity5 { float velocity5[]; };
layout(std430, set = 0, binding = 19) buffer Param6 { float param6[]; };
layout(std430, set = 0, binding = 20) readonly buffer Grad6 { float grad6[]; };
layout(std430, set = 0, binding = 21) buffer Velocity6 { float velocity6[]; };

void main() {
    float lr = args.lr;
    for (uint j = gl_GlobalInvocationID.x; j < off[MULTI_TENSORS]; j += grid_stride()) {
        MULTI_FIND(k, j)
        uint i = j - off[k];
        switch (k) {
        case 0: SGD_STEP(param0[i], grad0[i], velocity0[i]); break;
        case 1: SGD_STEP(param1[i], grad1[i], velocity1[i]); break;
        case 2: SGD_STEP(param2[i], grad2[i], velocity2[i]); break;
        case 3: SGD_STEP(param3[i], grad3[i], velocity3[i]); break;
        case 4: SGD_STEP(param4[i], grad4[i], velocity4[i]); break;
        case 5: SGD_STEP(param5[i], grad5[i], velocity5[i]); break;
        case 6: SGD_STEP(param6[i], grad6[i], velocity6[i]); break;
        }
    }
}
