// depthwise.glsl: what the three depthwise convolution kernels
// (shaders/depthwise_*.comp, tensor.DepthwiseConv2D and its backward ops)
// share: the tensor.DepthwiseGeom as specialization constants 1..14, so
// that every index split divides by a constant (each geometry is its own
// pipeline; a model has a handful). Included after common.glsl. Input NHWC
// [rows, h, w, c]; kernel [kh, kw, c, dm]; output [rows, oh, ow, c·dm].
// Every sum runs over the taps in the order kh, kw (then m), as
// cpuref/depthwise.go does.

layout(constant_id = 1) const int h = 1;   // input height, width, channels
layout(constant_id = 2) const int w = 1;
layout(constant_id = 3) const int c = 1;
layout(constant_id = 4) const int kh = 1;  // window, in taps
layout(constant_id = 5) const int kw = 1;
layout(constant_id = 6) const int sh = 1;  // strides
layout(constant_id = 7) const int sw = 1;
layout(constant_id = 8) const int dh = 1;  // dilation
layout(constant_id = 9) const int dw = 1;
layout(constant_id = 10) const int pt = 0; // padding before the first row, column
layout(constant_id = 11) const int pl = 0;
layout(constant_id = 12) const int oh = 1; // output height, width
layout(constant_id = 13) const int ow = 1;
layout(constant_id = 14) const int dm = 1; // depth multiplier

// out_of returns the output position whose tap k reads input position i
// (o·s + k·d − pad = i), or −1 when there is none.
int out_of(int i, int k, int d, int s, int pad, int extent) {
    int t = i + pad - k * d;
    if (t < 0 || t % s != 0 || t / s >= extent) {
        return -1;
    }
    return t / s;
}
