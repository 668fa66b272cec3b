#version 450
#extension GL_GOOGLE_include_directive : require
// conv_fwd: see conv_fwd.glsl and matmul_core.glsl (shared-memory and register tiles).
#include "conv_fwd.glsl"
