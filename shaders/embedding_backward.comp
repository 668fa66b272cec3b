#version 450
// embedding_backward: the gradient of Keras's Embedding
// (tensor.EmbeddingBackward), a scatter-add done as a gather: the
// invocation for table element (v, d) scans the step's rows·positions
// indices in order and sums dy[p*dim + d] over those that select row v,
// in float32 in the order cpuref adds them, so the two match exactly;
// no atomics.
// CPU reference: cpuref/embedding.go, embeddingBackward.
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"
#include "embedding.glsl"

layout(std430, set = 0, binding = 1) readonly buffer Idx { float idx[]; };
layout(std430, set = 0, binding = 2) readonly buffer DY { float dy[]; };
layout(std430, set = 0, binding = 3) writeonly buffer DTable { float dtable[]; };

layout(push_constant, std430) uniform Push {
    uint positions;
    uint dim;
    uint vocab;
};

void main() {
    uint n = vocab * dim;
    uint m = args.rows * positions;
    for (uint i = gl_GlobalInvocationID.x; i < n; i += grid_stride()) {
        int v = int(i / dim);
        uint d = i - uint(v) * dim;
        float s = 0.0;
        for (uint p = 0u; p < m; p++) {
            if (embedding_row(idx[p], vocab) == v) {
                s += dy[p * dim + d];
            }
        }
        dtable[i] = s;
    }
}
