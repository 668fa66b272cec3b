#version 450
// loss_scale_update: Keras's dynamic loss scaling on (scale, count) =
// (ls[0], ls[1]), one invocation: halve the scale and restart the count
// when found[0] is not 0, else count the step and double the scale once
// growth steps are counted; then clear found (tensor.UpdateLossScale,
// tensor.NextLossScale). CPU reference: cpuref/mixed.go.
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"

layout(std430, set = 0, binding = 1) buffer LS { float ls[]; };
layout(std430, set = 0, binding = 2) buffer Found { float found[]; };

layout(push_constant, std430) uniform Push {
    float growth;
};

void main() {
    if (gl_GlobalInvocationID.x != 0u) {
        return;
    }
    if (found[0] != 0.0) {
        ls[0] = ls[0] / 2.0;
        ls[1] = 0.0;
    } else if (ls[1] + 1.0 >= growth) {
        ls[0] = ls[0] * 2.0;
        ls[1] = 0.0;
    } else {
        ls[1] = ls[1] + 1.0;
    }
    found[0] = 0.0;
}
