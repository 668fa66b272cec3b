#version 450
// gather_rows: fill a batch from a resident dataset through the sample
// order (tensor.GatherRows). For r < rows and f < features, with
// s = order[start + r]:
//
//   dst[r*features + f] = table[byte s*features + f of src]   (uint8 source)
//   dst[r*features + f] = src[s*features + f]                 (float32 source)
//
// The source is read as 32-bit words either way: a uint8 dataset is packed
// four bytes to a word (little-endian, as the host uploads it), so no 8-bit
// storage feature is needed. An order entry outside 0..count-1 (which the
// host rejects before running) yields zeros rather than a stray read.
// CPU reference: cpuref/gather.go, gatherRows.
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"

layout(std430, set = 0, binding = 1) readonly buffer Src { uint src[]; };
layout(std430, set = 0, binding = 2) readonly buffer Order { int order[]; };
layout(std430, set = 0, binding = 3) readonly buffer Table { float table[]; };
layout(std430, set = 0, binding = 4) writeonly buffer Dst { float dst[]; };

layout(push_constant, std430) uniform Push {
    uint features; // values per sample
    uint count;    // samples in src
    uint bytes;    // 1 when src holds uint8, 0 when float32
};

void main() {
    uint n = args.rows * features;
    for (uint i = gl_GlobalInvocationID.x; i < n; i += grid_stride()) {
        uint r = i / features;
        uint s = uint(order[args.start + r]);
        if (s >= count) {
            dst[i] = 0.0;
            continue;
        }
        uint e = s * features + (i - r * features);
        if (bytes != 0u) {
            dst[i] = table[(src[e >> 2] >> ((e & 3u) * 8u)) & 0xFFu];
        } else {
            dst[i] = uintBitsToFloat(src[e]);
        }
    }
}
