#version 450
#extension GL_GOOGLE_include_directive : require
// pool2d_backward: the gradient of pool2d (tensor.Pool2DBackward),
// overwriting DX. CPU reference: cpuref/pool.go.
//
// One invocation per input element (n, ih, iw, c), grid-stride, so each
// element of DX has one writer and no atomics are needed: it sums over the
// output windows that contain it, in the (oh, ow) order cpuref adds them.
// Average pooling adds DY/count of each window; max pooling recomputes the
// window's first maximum from X (scanning as pool2d does) and adds DY only
// where that maximum is this element.
//
// Bindings: 0 step arguments, 1 X (a dummy for average pooling), 2 DY,
// 3 DX. No push constants. Specialization constants as pool2d.

#include "common.glsl"
#include "conv_geom.glsl"

layout(constant_id = 1) const uint KIND = 0;

layout(std430, set = 0, binding = 1) readonly buffer X_ { float x[]; };
layout(std430, set = 0, binding = 2) readonly buffer DY_ { float dy[]; };
layout(std430, set = 0, binding = 3) writeonly buffer DX_ { float dx[]; };

void main() {
    uint total = args.rows * uint(H * W * C);
    for (uint i = gl_GlobalInvocationID.x; i < total; i += grid_stride()) {
        int c = int(i) % C;
        int r = int(i) / C;
        int iw = r % W;
        int ih = (r / W) % H;
        int n = r / (W * H);
        // Windows oh with oh·SH − PT ≤ ih < oh·SH − PT + KH.
        int lo = ih + PT - KH + 1;
        int ohLo = lo <= 0 ? 0 : (lo + SH - 1) / SH;
        int ohHi = min(OH - 1, (ih + PT) / SH);
        lo = iw + PL - KW + 1;
        int owLo = lo <= 0 ? 0 : (lo + SW - 1) / SW;
        int owHi = min(OW - 1, (iw + PL) / SW);
        float acc = 0.0;
        for (int oh = ohLo; oh <= ohHi; oh++) {
            for (int ow = owLo; ow <= owHi; ow++) {
                int h0 = oh * SH - PT;
                int w0 = ow * SW - PL;
                int khLo = max(0, -h0), khHi = min(KH, H - h0);
                int kwLo = max(0, -w0), kwHi = min(KW, W - w0);
                float g = dy[((n * OH + oh) * OW + ow) * C + c];
                if (KIND == 1) {
                    acc += g * (1.0 / float((khHi - khLo) * (kwHi - kwLo)));
                    continue;
                }
                float best = 0.0;
                int at = -1;
                for (int kh = khLo; kh < khHi; kh++) {
                    for (int kw = kwLo; kw < kwHi; kw++) {
                        int j = ((n * H + h0 + kh) * W + w0 + kw) * C + c;
                        float v = x[j];
                        if (at < 0 || v > best) {
                            best = v;
                            at = j;
                        }
                    }
                }
                if (at == int(i)) {
                    acc += g;
                }
            }
        }
        dx[i] = acc;
    }
}
