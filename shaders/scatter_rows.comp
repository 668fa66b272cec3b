#version 450
// scatter_rows: write a batch into the rows of a resident buffer at the
// step's start (tensor.ScatterRows), so many steps' predictions collect on
// the device and the host reads them once. For r < rows and f < features:
//
//   dst[(start + r)*features + f] = src[r*features + f]
//
// The host checks start + rows against dst's rows before running; rows
// past them (count) are skipped rather than written out of bounds.
// CPU reference: cpuref/gather.go, scatterRows.
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"

layout(std430, set = 0, binding = 1) readonly buffer Src { float src[]; };
layout(std430, set = 0, binding = 2) writeonly buffer Dst { float dst[]; };

layout(push_constant, std430) uniform Push {
    uint features; // values per row
    uint count;    // rows dst holds
};

void main() {
    uint n = args.rows * features;
    if (args.start + args.rows > count) {
        return;
    }
    uint base = args.start * features;
    for (uint i = gl_GlobalInvocationID.x; i < n; i += grid_stride()) {
        dst[base + i] = src[i];
    }
}
