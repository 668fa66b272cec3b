#version 450
#extension GL_GOOGLE_include_directive : require
// pool2d: max or average pooling of NHWC images over KH×KW windows
// (tensor.Pool2D). CPU reference: cpuref/pool.go.
//
// One invocation per output element (n, oh, ow, c), grid-stride. Padded
// positions are skipped, never read as zero: max takes the largest real
// element (the first of equals), average divides the sum by the number of
// real elements, as TensorFlow does. The window is scanned in the order
// cpuref scans it, so sums round the same way.
//
// Bindings: 0 step arguments, 1 X, 2 Y. No push constants.
// Specialization constants: 0 workgroup size, 1 KIND (0 max, 1 average,
// as tensor.PoolKind), 8..19 the geometry (conv_geom.glsl; F unused).

#include "common.glsl"
#include "conv_geom.glsl"

layout(constant_id = 1) const uint KIND = 0;

layout(std430, set = 0, binding = 1) readonly buffer X_ { float x[]; };
layout(std430, set = 0, binding = 2) writeonly buffer Y_ { float y[]; };

void main() {
    uint total = args.rows * uint(OH * OW * C);
    for (uint i = gl_GlobalInvocationID.x; i < total; i += grid_stride()) {
        int c = int(i) % C;
        int r = int(i) / C;
        int ow = r % OW;
        int oh = (r / OW) % OH;
        int n = r / (OW * OH);
        int h0 = oh * SH - PT;
        int w0 = ow * SW - PL;
        int khLo = max(0, -h0), khHi = min(KH, H - h0);
        int kwLo = max(0, -w0), kwHi = min(KW, W - w0);
        float acc = 0.0;
        bool first = true;
        for (int kh = khLo; kh < khHi; kh++) {
            for (int kw = kwLo; kw < kwHi; kw++) {
                float v = x[((n * H + h0 + kh) * W + w0 + kw) * C + c];
                if (KIND == 1) {
                    acc += v;
                } else if (first || v > acc) { // strict: ties keep the first
                    acc = v;
                }
                first = false;
            }
        }
        int count = max(0, khHi - khLo) * max(0, kwHi - kwLo);
        if (KIND == 1 && count > 0) {
            acc *= 1.0 / float(count);
        }
        y[i] = acc;
    }
}
