#version 450
#extension GL_GOOGLE_include_directive : require
#extension GL_KHR_shader_subgroup_basic : require
#extension GL_KHR_shader_subgroup_shuffle : require
// matmul_sg: C = op(A)·op(B), the subgroup variant for CPU drivers; see
// matmul.glsl and matmul_core.glsl.
#define GEMM_SUBGROUP 1
#include "matmul.glsl"
