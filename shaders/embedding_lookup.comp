#version 450
// embedding_lookup: Keras's Embedding forward (tensor.EmbeddingLookup).
// For r < rows, l < positions and d < dim, with x = idx[r*positions + l]:
//
//   y[(r*positions + l)*dim + d] = table[x*dim + d]   x a whole number < vocab
//                                = 0                  otherwise
//
// CPU reference: cpuref/embedding.go, embeddingLookup.
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"
#include "embedding.glsl"

layout(std430, set = 0, binding = 1) readonly buffer Idx { float idx[]; };
layout(std430, set = 0, binding = 2) readonly buffer Table { float table[]; };
layout(std430, set = 0, binding = 3) writeonly buffer Y { float y[]; };

layout(push_constant, std430) uniform Push {
    uint positions;
    uint dim;
    uint vocab;
};

void main() {
    uint n = args.rows * positions * dim;
    for (uint i = gl_GlobalInvocationID.x; i < n; i += grid_stride()) {
        uint p = i / dim;
        int v = embedding_row(idx[p], vocab);
        y[i] = v < 0 ? 0.0 : table[uint(v) * dim + (i - p * dim)];
    }
}
