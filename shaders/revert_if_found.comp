#version 450
// revert_if_found: Y = Backup over size values when found[0] is not 0,
// else nothing (tensor.RevertIfFound). CPU reference: cpuref/mixed.go.
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"

layout(std430, set = 0, binding = 1) readonly buffer Backup { float backup[]; };
layout(std430, set = 0, binding = 2) buffer Y { float y[]; };
layout(std430, set = 0, binding = 3) readonly buffer Found { float found[]; };

layout(push_constant, std430) uniform Push {
    uint size;
};

void main() {
    if (found[0] == 0.0) {
        return;
    }
    for (uint i = gl_GlobalInvocationID.x; i < size; i += grid_stride()) {
        y[i] = backup[i];
    }
}
