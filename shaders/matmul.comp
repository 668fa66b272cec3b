#version 450
#extension GL_GOOGLE_include_directive : require
// matmul: C = op(A)·op(B) with shared-memory or register tiles; see
// matmul.glsl and matmul_core.glsl.
#include "matmul.glsl"
