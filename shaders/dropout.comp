#version 450
// dropout: Out[i] = In[i]·scale where tensor.Uniform(seed, step, salt, i)
// >= rate, else 0, over rows·size values: tensor.Dropout (In = X, Out = Y)
// and tensor.DropoutBackward (In = DY, Out = DX), which recomputes the same
// mask. scale = 1/(1−rate) is computed on the host in float32, as cpuref
// does, so the output is bit-identical.
// CPU reference: cpuref/dropout.go.
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"

layout(std430, set = 0, binding = 1) readonly buffer In { float src[]; };
layout(std430, set = 0, binding = 2) buffer Out { float dst[]; };

layout(push_constant, std430) uniform Push {
    uint size;
    uint salt;
    float rate;
    float scale;
};

void main() {
    uint n = args.rows * size;
    for (uint i = gl_GlobalInvocationID.x; i < n; i += grid_stride()) {
        dst[i] = uniform01(salt, args.row_offset * size + i) >= rate ? src[i] * scale : 0.0;
    }
}
