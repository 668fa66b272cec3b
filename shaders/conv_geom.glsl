// conv_geom.glsl: a convolution's tensor.ConvGeom as specialization
// constants 8..19, so that every index split (m into sample, row, column;
// k into kernel row, column, channel) divides by a constant. Each distinct
// geometry is its own pipeline; a model has a handful.

layout(constant_id = 8) const int H = 1;   // input height, width, channels
layout(constant_id = 9) const int W = 1;
layout(constant_id = 10) const int C = 1;
layout(constant_id = 11) const int KH = 1; // window
layout(constant_id = 12) const int KW = 1;
layout(constant_id = 13) const int SH = 1; // strides
layout(constant_id = 14) const int SW = 1;
layout(constant_id = 15) const int PT = 0; // padding before the first row, column
layout(constant_id = 16) const int PL = 0;
layout(constant_id = 17) const int OH = 1; // output height, width
layout(constant_id = 18) const int OW = 1;
layout(constant_id = 19) const int F = 1;  // filters

// GEMM_AB is the storage type of the convolutions' two operands and
// GEMM_F32 the loads' conversion to float (the conv_*_f16 shaders set
// float16_t; the float32 shaders convert nothing).
#ifndef GEMM_AB
#define GEMM_AB float
#define GEMM_F32(v) v
#endif
