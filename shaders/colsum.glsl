// colsum.glsl: a deterministic column reduction of the rows·outer × c
// row-major matrices that the per-channel sums read (bias_grad,
// bn_backward_sums, bn_backward_sums_act, layernorm_param_grad; and
// colsum_merge, over the slices' partial sums), cut so that many workgroups
// share a few channels and adjacent invocations read adjacent channels.
//
// A workgroup's invocations form `lanes` channel lanes (t % lanes) by
// gl_WorkGroupSize.x / lanes position lanes (t / lanes). Work item w (of
// col_items(): ⌈c/lanes⌉ channel blocks times `slices` slices of the
// positions, bn_slices.glsl) is block w % blocks over slice w / blocks:
// each invocation sums its channel over every plane-th position of the
// slice, then col_sum adds the position lanes in a fixed tree. Slice s
// writes its sums to element s·c + channel, which is the output itself
// with one slice; otherwise colsum_merge adds the slices in order. Every
// order is fixed by the shape, so the sums are reproducible, and no atomics
// are used.
//
// The including shader declares the push constants c, lanes (a power of
// two dividing the workgroup size) and slices before including it, after
// common.glsl.

#include "bn_slices.glsl"

shared vec2 col_part[gl_WorkGroupSize.x];

// ColItem is one invocation's share of a work item: channel ch (≥ c for
// the idle lanes of the last block), slice s, and the positions lo,
// lo + step, ... below hi.
struct ColItem {
    uint ch;
    uint s;
    uint lo;
    uint hi;
    uint step;
};

uint col_blocks() { return (c + lanes - 1u) / lanes; }

// col_items is how many work items the grid-stride loop over workgroups
// covers.
uint col_items() { return col_blocks() * slices; }

// col_item is this invocation's share of work item w over m positions.
ColItem col_item(uint w, uint m) {
    uint blocks = col_blocks();
    uint t = gl_LocalInvocationID.x;
    ColItem it;
    it.ch = (w % blocks) * lanes + t % lanes;
    it.s = w / blocks;
    it.lo = slice_start(m, it.s) + t / lanes;
    it.hi = slice_start(m, it.s + 1u);
    it.step = gl_WorkGroupSize.x / lanes;
    return it;
}

// col_sum adds v over the position lanes of each channel lane; the total
// is exact only in position lane 0 (col_writes). Every invocation must
// call it, in uniform control flow: it contains barriers.
vec2 col_sum(vec2 v) {
    uint t = gl_LocalInvocationID.x;
    uint pos_lane = t / lanes;
    col_part[t] = v;
    barrier();
    for (uint stride = gl_WorkGroupSize.x / lanes / 2u; stride > 0u; stride >>= 1u) {
        if (pos_lane < stride) {
            col_part[t] += col_part[t + stride * lanes];
        }
        barrier();
    }
    vec2 total = col_part[t % lanes];
    barrier(); // every invocation has read its total before the next use
    return total;
}

// col_writes: whether this invocation writes its channel's sum of it.
bool col_writes(ColItem it) { return gl_LocalInvocationID.x < lanes && it.ch < c; }

// col_out is where slice it.s of channel it.ch goes.
uint col_out(ColItem it) { return it.s * c + it.ch; }
