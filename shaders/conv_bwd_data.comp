#version 450
#extension GL_GOOGLE_include_directive : require
// conv_bwd_data: see conv_bwd_data.glsl and matmul_core.glsl (shared-memory and register tiles).
#include "conv_bwd_data.glsl"
