#version 450
#extension GL_GOOGLE_include_directive : require
#extension GL_EXT_shader_16bit_storage : require
// matmul_f16: C = op(A)·op(B) with A and B stored as binary16
// (VK_KHR_16bit_storage) and every product and sum in float32: the mixed
// precision MatMul. The engine is matmul.comp's; see matmul.glsl.
#define GEMM_AB float16_t
#define GEMM_AB4 f16vec4
#define GEMM_F32(v) float(v)
#define GEMM_F32x4(v) vec4(v)
#include "matmul.glsl"
