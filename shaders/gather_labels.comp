#version 450
// gather_labels: fill a batch of targets from resident int32 class labels
// through the sample order (tensor.GatherLabels). For r < rows, with
// c = labels[order[start + r]]:
//
//   one-hot (classes > 0): dst[r*classes + k] = k == c ? 1 : 0
//   sparse (classes == 0): dst[r] = float(c)
//
// A label outside 0..classes-1 gives a row of zeros, as in cpuref; an
// order entry outside 0..count-1 (which the host rejects before running)
// gives zeros rather than a stray read.
// CPU reference: cpuref/gather.go, gatherLabels.
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"

layout(std430, set = 0, binding = 1) readonly buffer Labels { int labels[]; };
layout(std430, set = 0, binding = 2) readonly buffer Order { int order[]; };
layout(std430, set = 0, binding = 3) writeonly buffer Dst { float dst[]; };

layout(push_constant, std430) uniform Push {
    uint classes; // one-hot width, 0 for sparse labels
    uint count;   // labels held
};

void main() {
    uint width = max(classes, 1u);
    uint n = args.rows * width;
    for (uint i = gl_GlobalInvocationID.x; i < n; i += grid_stride()) {
        uint r = i / width;
        uint s = uint(order[args.start + r]);
        bool ok = s < count;
        int c = ok ? labels[s] : -1;
        if (classes == 0u) {
            dst[i] = ok ? float(c) : 0.0;
        } else {
            dst[i] = int(i - r * width) == c ? 1.0 : 0.0;
        }
    }
}
