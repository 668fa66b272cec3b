#version 450
// adam_multi: tensor.AdamUpdate of up to MULTI_TENSORS parameters with one
// set of hyperparameters in one dispatch (multi.glsl), each element as
// adam.comp updates it (optim.glsl). CPU reference: cpuref/optim.go, adam.
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"
#include "optim.glsl"
#include "multi.glsl"

layout(push_constant, std430) uniform Push {
    uint off[MULTI_TENSORS + 1]; // tensor k is elements off[k] to off[k+1] of the concatenation
    float one_minus_b1; // as in adam.comp
    float one_minus_b2;
    float eps;
    float ln_b1;
    float ln_b2;
    float wd;           // AdamW's weight decay; 0 for Adam
};

layout(std430, set = 0, binding = 1) buffer Param0 { float param0[]; };
layout(std430, set = 0, binding = 2) readonly buffer Grad0 { float grad0[]; };
layout(std430, set = 0, binding = 3) buffer Ma0 { float ma0[]; };
layout(std430, set = 0, binding = 4) buffer Va0 { float va0[]; };
layout(std430, set = 0, binding = 5) buffer Param1 { float param1[]; };
layout(std430, set = 0, binding = 6) readonly buffer Grad1 { float grad1[]; };
layout(std430, set = 0, binding = 7) buffer Ma1 { float ma1[]; };
layout(std430, set = 0, binding = 8) buffer Va1 { float va1[]; };
layout(std430, set = 0, binding = 9) buffer Param2 { float param2[]; };
layout(std430, set = 0, binding = 10) readonly buffer Grad2 { float grad2[]; };
layout(std430, set = 0, binding = 11) buffer Ma2 { float ma2[]; };
layout(std430, set = 0, binding = 12) buffer Va2 { float va2[]; };
layout(std430, set = 0, binding = 13) buffer Param3 { float param3[]; };
layout(std430, set = 0, binding = 14) readonly buffer Grad3 { float grad3[]; };
layout(std430, set = 0, binding = 15) buffer Ma3 { float ma3[]; };
layout(std430, set = 0, binding = 16) buffer Va3 { float va3[]; };
layout(std430, set = 0, binding = 17) buffer Param4 { float param4[]; };
layout(std430, set = 0, binding = 18) readonly buffer Grad4 { float grad4[]; };
layout(std430, set = 0, binding = 19) buffer Ma4 { float ma4[]; };
layout(std430, set = 0, binding = 20) buffer Va4 { float va4[]; };
layout(std430, set = 0, binding = 21) buffer Param5 { float param5[]; };
layout(std430, set = 0, binding = 22) readonly buffer Grad5 { float grad5[]; };
layout(std430, set = 0, binding = 23) buffer Ma5 { float ma5[]; };
layout(std430, set = 0, binding = 24) buffer Va5 { float va5[]; };
layout(std430, set = 0, binding = 25) buffer Param6 { float param6[]; };
layout(std430, set = 0, binding = 26) readonly buffer Grad6 { float grad6[]; };
layout(std430, set = 0, binding = 27) buffer Ma6 { float ma6[]; };
layout(std430, set = 0, binding = 28) buffer Va6 { float va6[]; };

void main() {
    float alpha = adam_alpha(ln_b1, ln_b2);
    for (uint j = gl_GlobalInvocationID.x; j < off[MULTI_TENSORS]; j += grid_stride()) {
        MULTI_FIND(k, j)
        uint i = j - off[k];
        switch (k) {
        case 0: ADAMW_DECAY(param0[i]) ADAM_STEP(param0[i], grad0[i], ma0[i], va0[i]); break;
        case 1: ADAMW_DECAY(param1[i]) ADAM_STEP(param1[i], grad1[i], ma1[i], va1[i]); break;
        case 2: ADAMW_DECAY(param2[i]) ADAM_STEP(param2[i], grad2[i], ma2[i], va2[i]); break;
        case 3: ADAMW_DECAY(param3[i]) ADAM_STEP(param3[i], grad3[i], ma3[i], va3[i]); break;
        case 4: ADAMW_DECAY(param4[i]) ADAM_STEP(param4[i], grad4[i], ma4[i], va4[i]); break;
        case 5: ADAMW_DECAY(param5[i]) ADAM_STEP(param5[i], grad5[i], ma5[i], va5[i]); break;
        case 6: ADAMW_DECAY(param6[i]) ADAM_STEP(param6[i], grad6[i], ma6[i], va6[i]); break;
        }
    }
}
