#version 450
// bias_grad: DBias[c] = sum of DY[r,c] over rows·outer positions
// (tensor.BiasGrad). One workgroup per channel, a strided loop over the
// positions and a shared-memory tree: deterministic, no atomics.
// CPU reference: cpuref/elementwise.go, biasGrad.
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"
#include "reduce.glsl"

layout(std430, set = 0, binding = 1) readonly buffer DY { float dy[]; };
layout(std430, set = 0, binding = 2) writeonly buffer DBias { float dbias[]; };

layout(push_constant, std430) uniform Push {
    uint outer;
    uint c;
};

void main() {
    uint m = args.rows * outer;
    for (uint ch = gl_WorkGroupID.x; ch < c; ch += gl_NumWorkGroups.x) {
        float s = 0.0;
        for (uint r = gl_LocalInvocationID.x; r < m; r += gl_WorkGroupSize.x) {
            s += dy[r * c + ch];
        }
        s = wg_sum(s);
        if (gl_LocalInvocationID.x == 0u) {
            dbias[ch] = s;
        }
    }
}
