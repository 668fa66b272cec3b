// bn_slices.glsl: the slices bn_stats_partial and bn_stats_merge cut a
// channel's m positions into. The including shader declares the push
// constant slices.

// slice_start is the first position of slice s (slice_start(m, slices) is
// m): the first m % slices slices have one position more than the others.
// It never forms s·m, which could overflow.
uint slice_start(uint m, uint s) {
    uint base = m / slices;
    return s * base + min(s, m % slices);
}
