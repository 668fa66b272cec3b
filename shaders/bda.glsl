// bda.glsl: what the one-dispatch optimizer shaders (sgd_bda, adam_bda,
// rmsprop_bda) share. They update every tensor of an update group in one
// dispatch however many there are, reaching each tensor's buffers through
// its device address (GL_EXT_buffer_reference) instead of a binding, so
// that no per-stage binding limit caps the group (gpu/kernel_optim_bda.go).
//
// Binding 1 is the group's table, written once when the plan is compiled:
// tab[0..n] are the prefix offsets (tensor k is elements tab[k] to
// tab[k+1] of the concatenation; tab[n] is the total), then for each
// tensor k its BDA_PER buffers' addresses as (low, high) words at
// tab[n + 1 + 2·(k·BDA_PER + s)]. n is the push constant ntensors.

#extension GL_EXT_buffer_reference : require
#extension GL_EXT_buffer_reference_uvec2 : require

layout(buffer_reference, std430, buffer_reference_align = 4) buffer Floats { float v[]; };

layout(std430, set = 0, binding = 1) readonly buffer Table { uint tab[]; };

// bda_find is the tensor of element j of the concatenation: the k in
// [0, n) with tab[k] ≤ j < tab[k+1], by binary search of the prefix.
uint bda_find(uint j, uint n) {
    uint lo = 0u, hi = n - 1u;
    while (lo < hi) {
        uint mid = (lo + hi + 1u) >> 1;
        if (tab[mid] <= j) {
            lo = mid;
        } else {
            hi = mid - 1u;
        }
    }
    return lo;
}

// BDA_BUF(K, S, N) is buffer S of tensor K of a group of N. A macro, as
// glslang gives a function's local reference variable no aliasing
// decoration, which spirv-val rejects.
#define BDA_BUF(K, S, N) Floats(uvec2(tab[(N) + 1u + 2u * ((K) * BDA_PER + (S))], \
                                      tab[(N) + 2u + 2u * ((K) * BDA_PER + (S))]))
