#version 450
// augment_transform: Keras's RandomFlip, RandomTranslation, RandomZoom and
// RandomCrop (tensor.Transform2D). One invocation per output element
// (n, row, col, ch); it redraws its image's two uniforms (cheaper than a
// second dispatch and a parameter buffer), derives (sx, tx, sy, ty) as
// tensor.AugmentParams does and samples the source point
// (sy·row + ty, sx·col + tx) with the fill mode. Every product and sum is
// `precise`, so no fused multiply-add changes a source point.
// CPU reference: cpuref/augment.go, transform2D.
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"

layout(std430, set = 0, binding = 1) readonly buffer X { float x[]; };
layout(std430, set = 0, binding = 2) writeonly buffer Y { float y[]; };

#include "augment.glsl"

// pos_mod is i mod p in [0, p) (GLSL's % is undefined for negatives).
int pos_mod(int i, int p) {
    if (i < 0) {
        i += p * ((-i) / p + 1);
    }
    return i % p;
}

// fill_index maps index i of an axis of n pixels into [0, n); -1 means the
// fill value (constant mode). As cpuref's fillIndex.
int fill_index(int i, int n) {
    if (i >= 0 && i < n) {
        return i;
    }
    if (fill == 1u) {
        return -1;
    } else if (fill == 2u) {
        return clamp(i, 0, n - 1);
    } else if (fill == 3u) {
        return pos_mod(i, n);
    } else if (fill == 4u) {
        if (n == 1) {
            return 0;
        }
        i = pos_mod(i, 2 * n - 2);
        return i >= n ? 2 * n - 2 - i : i;
    }
    i = pos_mod(i, 2 * n);
    return i >= n ? 2 * n - 1 - i : i;
}

float fetch(uint base, int r, int col, uint ch) {
    int rr = fill_index(r, int(h));
    int cc = fill_index(col, int(w));
    if (rr < 0 || cc < 0) {
        return fill_value;
    }
    return x[base + (uint(rr) * w + uint(cc)) * c + ch];
}

void main() {
    uint per = oh * ow * c;
    uint n = args.rows * per;
    for (uint i = gl_GlobalInvocationID.x; i < n; i += grid_stride()) {
        uint img = i / per;
        uint rem = i - img * per;
        uint ch = rem % c;
        uint col = (rem / c) % ow;
        uint row = rem / (c * ow);
        vec4 p = params(args.row_offset + img);
        precise float sr = p.z * float(row) + p.w;
        precise float sc = p.x * float(col) + p.y;
        uint base = img * h * w * c;
        if (interp == 1u) {
            y[i] = fetch(base, int(roundEven(sr)), int(roundEven(sc)), ch);
            continue;
        }
        float fr = floor(sr);
        float fc = floor(sc);
        precise float wr1 = sr - fr;
        precise float wc1 = sc - fc;
        precise float wr0 = 1.0 - wr1;
        precise float wc0 = 1.0 - wc1;
        int ir = int(fr);
        int ic = int(fc);
        precise float top = fetch(base, ir, ic, ch) * wc0 + fetch(base, ir, ic + 1, ch) * wc1;
        precise float bot = fetch(base, ir + 1, ic, ch) * wc0 + fetch(base, ir + 1, ic + 1, ch) * wc1;
        y[i] = top * wr0 + bot * wr1;
    }
}
