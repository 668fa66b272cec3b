#version 450
#extension GL_GOOGLE_include_directive : require
#extension GL_KHR_shader_subgroup_basic : require
#extension GL_KHR_shader_subgroup_shuffle : require
#extension GL_EXT_shader_16bit_storage : require
// conv_fwd_f16_sg: conv_fwd_f16 (binary16 operands, float32 arithmetic) with
// the subgroup engine, for CPU drivers; see conv_fwd.glsl.
#define GEMM_SUBGROUP 1
#define GEMM_AB float16_t
#define GEMM_F32(v) float(v)
#include "conv_fwd.glsl"
