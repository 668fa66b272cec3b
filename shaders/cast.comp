#version 450
// cast: Y = X rounded to binary16, over rows·size values (size when not
// batched), Y a float32 buffer holding the rounded values (tensor.Cast with
// a Float32 Y; cast_f16 writes a Float16 Y). CPU reference: cpuref/mixed.go.
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"
#include "float16.glsl"

layout(std430, set = 0, binding = 1) readonly buffer X { float x[]; };
layout(std430, set = 0, binding = 2) writeonly buffer Y { float y[]; };

layout(push_constant, std430) uniform Push {
    uint size;       // values per sample, or in all when per_sample is 0
    uint per_sample; // 1 when the buffers are batched
};

void main() {
    uint n = per_sample != 0u ? args.rows * size : size;
    for (uint i = gl_GlobalInvocationID.x; i < n; i += grid_stride()) {
        y[i] = f16_value(f16_bits(x[i]));
    }
}
