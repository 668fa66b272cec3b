// augment.glsl: what the Transform2D shaders share (augment_transform,
// augment_transform_backward): the push constants and each image's map
// (sx, tx, sy, ty), derived as tensor.AugmentParams does. Included after
// common.glsl, never compiled on its own.

layout(push_constant, std430) uniform Push {
    uint h, w, c, oh, ow;
    uint kind;   // tensor.AugmentKind
    uint interp; // 0 bilinear, 1 nearest
    uint fill;   // 0 reflect, 1 constant, 2 nearest, 3 wrap, 4 mirror
    uint salt;
    uint same_zoom;
    float hlo, hhi, wlo, whi; // AugmentFixed: sx, tx, sy, ty
    float fill_value;
};

const uint FIXED = 0u, FLIP = 1u, TRANSLATE = 2u, ZOOM = 3u, CROP = 4u;

float lerp_draw(float lo, float hi, float u) {
    precise float d = hi - lo;
    precise float p = u * d;
    precise float r = lo + p;
    return r;
}

float crop_offset(float u, uint n, uint o) {
    precise float v = u * float(n - o + 1u);
    return min(float(uint(v)), float(n - o));
}

// params returns (sx, tx, sy, ty) of image g.
vec4 params(uint g) {
    if (kind == FIXED) {
        return vec4(hlo, hhi, wlo, whi);
    }
    float u0 = uniform01(salt, 2u * g);
    float u1 = uniform01(salt, 2u * g + 1u);
    precise vec4 p = vec4(1.0, 0.0, 1.0, 0.0);
    if (kind == FLIP) {
        if (hhi > 0.0 && u0 < 0.5) { p.z = -1.0; p.w = float(h - 1u); }
        if (whi > 0.0 && u1 < 0.5) { p.x = -1.0; p.y = float(w - 1u); }
    } else if (kind == TRANSLATE) {
        precise float dy = lerp_draw(hlo, hhi, u0) * float(h);
        precise float dx = lerp_draw(wlo, whi, u1) * float(w);
        p.w = -dy;
        p.y = -dx;
    } else if (kind == ZOOM) {
        precise float zy = 1.0 + lerp_draw(hlo, hhi, u0);
        precise float zx = same_zoom != 0u ? zy : 1.0 + lerp_draw(wlo, whi, u1);
        precise float cy = float(h - 1u) * 0.5;
        precise float cx = float(w - 1u) * 0.5;
        p = vec4(zx, cx * (1.0 - zx), zy, cy * (1.0 - zy));
    } else if (kind == CROP) {
        p.w = crop_offset(u0, h, oh);
        p.y = crop_offset(u1, w, ow);
    }
    return p;
}

