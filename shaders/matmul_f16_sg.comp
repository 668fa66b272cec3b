#version 450
#extension GL_GOOGLE_include_directive : require
#extension GL_KHR_shader_subgroup_basic : require
#extension GL_KHR_shader_subgroup_shuffle : require
#extension GL_EXT_shader_16bit_storage : require
// matmul_f16_sg: matmul_f16 (binary16 A and B, float32 arithmetic) with the
// subgroup engine of matmul_sg.comp, for CPU drivers.
#define GEMM_SUBGROUP 1
#define GEMM_AB float16_t
#define GEMM_AB4 f16vec4
#define GEMM_F32(v) float(v)
#define GEMM_F32x4(v) vec4(v)
#include "matmul.glsl"
