#version 450
// bn_moving_update: the moving-average update of tensor.BatchNormApply
// (synchronized batch normalization), one invocation per channel:
// moving = moving·momentum + batch·(1−momentum), from the global batch
// mean and variance the host wrote. bn_apply normalises beside it.
// CPU reference: cpuref/syncbn.go, bnApply.run.
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"

layout(std430, set = 0, binding = 1) readonly buffer Mean { float mean[]; };
layout(std430, set = 0, binding = 2) readonly buffer BatchVar { float batch_var[]; };
layout(std430, set = 0, binding = 3) buffer MovingMean { float moving_mean[]; };
layout(std430, set = 0, binding = 4) buffer MovingVar { float moving_var[]; };

layout(push_constant, std430) uniform Push {
    uint c;
    float momentum;
};

void main() {
    for (uint ch = gl_GlobalInvocationID.x; ch < c; ch += grid_stride()) {
        moving_mean[ch] = moving_mean[ch] * momentum + mean[ch] * (1.0 - momentum);
        moving_var[ch] = moving_var[ch] * momentum + batch_var[ch] * (1.0 - momentum);
    }
}
