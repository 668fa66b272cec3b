#version 450
// rmsprop_multi: tensor.RMSpropUpdate of up to MULTI_TENSORS parameters
// with one set of hyperparameters in one dispatch (multi.glsl), each
// element as rmsprop.comp updates it (optim.glsl). CPU reference:
// cpuref/optim.go, rmsprop.
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"
#include "optim.glsl"
#include "multi.glsl"

layout(push_constant, std430) uniform Push {
    uint off[MULTI_TENSORS + 1]; // tensor k is elements off[k] to off[k+1] of the concatenation
    float rho;
    float one_minus_rho;
    float momentum;
    float eps;
    uint has_velocity; // 0 when momentum is 0: every Velocity is a dummy
};

layout(std430, set = 0, binding = 1) buffer Param0 { float param0[]; };
layout(std430, set = 0, binding = 2) readonly buffer Grad0 { float grad0[]; };
layout(std430, set = 0, binding = 3) buffer Ms0 { float ms0[]; };
layout(std430, set = 0, binding = 4) buffer Velocity0 { float velocity0[]; };
layout(std430, set = 0, binding = 5) buffer Param1 { float param1[]; };
layout(std430, set = 0, binding = 6) readonly buffer Grad1 { float grad1[]; };
layout(std430, set = 0, binding = 7) buffer Ms1 { float ms1[]; };
layout(std430, set = 0, binding = 8) buffer Velocity1 { float velocity1[]; };
layout(std430, set = 0, binding = 9) buffer Param2 { float param2[]; };
layout(std430, set = 0, binding = 10) readonly buffer Grad2 { float grad2[]; };
layout(std430, set = 0, binding = 11) buffer Ms2 { float ms2[]; };
layout(std430, set = 0, binding = 12) buffer Velocity2 { float velocity2[]; };
layout(std430, set = 0, binding = 13) buffer Param3 { float param3[]; };
layout(std430, set = 0, binding = 14) readonly buffer Grad3 { float grad3[]; };
layout(std430, set = 0, binding = 15) buffer Ms3 { float ms3[]; };
layout(std430, set = 0, binding = 16) buffer Velocity3 { float velocity3[]; };
layout(std430, set = 0, binding = 17) buffer Param4 { float param4[]; };
layout(std430, set = 0, binding = 18) readonly buffer Grad4 { float grad4[]; };
layout(std430, set = 0, binding = 19) buffer Ms4 { float ms4[]; };
layout(std430, set = 0, binding = 20) buffer Velocity4 { float velocity4[]; };
layout(std430, set = 0, binding = 21) buffer Param5 { float param5[]; };
layout(std430, set = 0, binding = 22) readonly buffer Grad5 { float grad5[]; };
layout(std430, set = 0, binding = 23) buffer Ms5 { float ms5[]; };
layout(std430, set = 0, binding = 24) buffer Velocity5 { float velocity5[]; };
layout(std430, set = 0, binding = 25) buffer Param6 { float param6[]; };
layout(std430, set = 0, binding = 26) readonly buffer Grad6 { float grad6[]; };
layout(std430, set = 0, binding = 27) buffer Ms6 { float ms6[]; };
layout(std430, set = 0, binding = 28) buffer Velocity6 { float velocity6[]; };

void main() {
    float lr = args.lr;
    for (uint j = gl_GlobalInvocationID.x; j < off[MULTI_TENSORS]; j += grid_stride()) {
        MULTI_FIND(k, j)
        uint i = j - off[k];
        switch (k) {
        case 0: RMSPROP_STEP(param0[i], grad0[i], ms0[i], velocity0[i]); break;
        case 1: RMSPROP_STEP(param1[i], grad1[i], ms1[i], velocity1[i]); break;
        case 2: RMSPROP_STEP(param2[i], grad2[i], ms2[i], velocity2[i]); break;
        case 3: RMSPROP_STEP(param3[i], grad3[i], ms3[i], velocity3[i]); break;
        case 4: RMSPROP_STEP(param4[i], grad4[i], ms4[i], velocity4[i]); break;
        case 5: RMSPROP_STEP(param5[i], grad5[i], ms5[i], velocity5[i]); break;
        case 6: RMSPROP_STEP(param6[i], grad6[i], ms6[i], velocity6[i]); break;
        }
    }
}
