#version 450
#extension GL_GOOGLE_include_directive : require
#extension GL_EXT_shader_16bit_storage : require
// conv_bwd_data_f16: conv_bwd_data (see conv_bwd_data.glsl) with both operands stored as
// binary16 (VK_KHR_16bit_storage) and every product and sum in float32:
// the mixed-precision convolution.
#define GEMM_AB float16_t
#define GEMM_F32(v) float(v)
#include "conv_bwd_data.glsl"
