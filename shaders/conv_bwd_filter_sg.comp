#version 450
#extension GL_GOOGLE_include_directive : require
#extension GL_KHR_shader_subgroup_basic : require
#extension GL_KHR_shader_subgroup_shuffle : require
// conv_bwd_filter_sg: the subgroup variant for lavapipe; see conv_bwd_filter.glsl and
// matmul_core.glsl.
#define GEMM_SUBGROUP 1
#include "conv_bwd_filter.glsl"
