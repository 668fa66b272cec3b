#version 450
#extension GL_GOOGLE_include_directive : require
// conv_bwd_filter: see conv_bwd_filter.glsl and matmul_core.glsl (shared-memory and register tiles).
#include "conv_bwd_filter.glsl"
