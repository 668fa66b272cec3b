#version 450
// cast_f16: Y = X rounded to binary16 and stored in two bytes each
// (VK_KHR_16bit_storage), over rows·size values (size when not batched):
// tensor.Cast with a Float16 Y. CPU reference: cpuref/mixed.go.
#extension GL_GOOGLE_include_directive : require
#extension GL_EXT_shader_16bit_storage : require
#include "common.glsl"
#include "float16.glsl"

layout(std430, set = 0, binding = 1) readonly buffer X { float x[]; };
layout(std430, set = 0, binding = 2) writeonly buffer Y { uint16_t y[]; };

layout(push_constant, std430) uniform Push {
    uint size;       // values per sample, or in all when per_sample is 0
    uint per_sample; // 1 when the buffers are batched
};

void main() {
    uint n = per_sample != 0u ? args.rows * size : size;
    for (uint i = gl_GlobalInvocationID.x; i < n; i += grid_stride()) {
        y[i] = uint16_t(f16_bits(x[i]));
    }
}
