// reduce.glsl: a deterministic workgroup sum in shared memory, #included by
// the reduction kernels after common.glsl. The workgroup size must be a
// power of two (the Go side checks). Every invocation of the workgroup must
// call wg_sum, in uniform control flow, because it contains barriers.

shared float wg_partial[gl_WorkGroupSize.x];

// wg_sum returns the sum of v over the workgroup, the same in every
// invocation. The tree's order is fixed, so the result is reproducible.
float wg_sum(float v) {
    uint t = gl_LocalInvocationID.x;
    wg_partial[t] = v;
    barrier();
    for (uint s = gl_WorkGroupSize.x / 2u; s > 0u; s >>= 1u) {
        if (t < s) {
            wg_partial[t] += wg_partial[t + s];
        }
        barrier();
    }
    float total = wg_partial[0];
    barrier(); // every invocation has read the total before the next use
    return total;
}
