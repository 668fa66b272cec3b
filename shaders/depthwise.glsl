// depthwise.glsl: what the three depthwise convolution kernels
// (shaders/depthwise_*.comp, tensor.DepthwiseConv2D and its backward ops)
// share: the tensor.DepthwiseGeom as push constants. Included after
// common.glsl. Input NHWC [rows, h, w, c]; kernel [kh, kw, c, dm]; output
// [rows, oh, ow, c·dm]. Every sum runs over the taps in the order kh, kw
// (then m), as cpuref/depthwise.go does.

layout(push_constant, std430) uniform Geom {
    int h, w, c;   // input height, width, channels
    int kh, kw;    // window, in taps
    int sh, sw;    // strides
    int dh, dw;    // dilation
    int pt, pl;    // padding before the first row, column
    int oh, ow;    // output height, width
    int dm;        // depth multiplier
};

// out_of returns the output position whose tap k reads input position i
// (o·s + k·d − pad = i), or −1 when there is none.
int out_of(int i, int k, int d, int s, int pad, int extent) {
    int t = i + pad - k * d;
    if (t < 0 || t % s != 0 || t / s >= extent) {
        return -1;
    }
    return t / s;
}
