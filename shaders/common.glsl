// common.glsl: what every op kernel shares. It is #included, never compiled
// on its own (generate.sh compiles only *.comp; check.sh regenerates every
// .comp, so a .spv left stale by an edit here fails the check).
//
// Binding 0 is the step-arguments buffer the host rewrites before each
// replay (tensor.StepArgs.Encode, whose layout tensor/stepargs_test.go
// checks against the block below). Specialization constant 0 is the
// workgroup size. Op buffers follow from binding 1 in each shader.

layout(local_size_x_id = 0) in;

layout(std430, set = 0, binding = 0) readonly buffer StepArgs {
    uint rows;     // valid samples this step, 1..batch
    uint step_lo;  // the 1-based optimizer step, low and high words
    uint step_hi;
    uint seed_lo;  // the random seed, low and high words
    uint seed_hi;
    float lr;      // the learning rate of this step
    uint start;    // where this step's rows begin in the resident sample order
    uint row_offset; // this step's first row in the global batch (data-parallel replicas; dropout masks)
} args;

// grid_stride is the distance between the items one invocation handles in a
// grid-stride loop, so any workgroup count covers any item count.
uint grid_stride() { return gl_NumWorkGroups.x * gl_WorkGroupSize.x; }

// philox4x32 is Philox4x32-10, term for term as tensor.Philox4x32.
uvec4 philox4x32(uvec4 ctr, uvec2 key) {
    for (int i = 0; i < 10; i++) {
        uint hi0, lo0, hi1, lo1;
        umulExtended(0xD2511F53u, ctr.x, hi0, lo0);
        umulExtended(0xCD9E8D57u, ctr.z, hi1, lo1);
        ctr = uvec4(hi1 ^ ctr.y ^ key.x, lo1, hi0 ^ ctr.w ^ key.y, lo0);
        key += uvec2(0x9E3779B9u, 0xBB67AE85u);
    }
    return ctr;
}

// uniform01 is tensor.Uniform(seed, step, salt, index) of this step: the
// top 24 bits of the first Philox word, exact in float32.
float uniform01(uint salt, uint index) {
    uvec4 o = philox4x32(uvec4(index, salt, args.step_lo, args.step_hi), uvec2(args.seed_lo, args.seed_hi));
    return float(o.x >> 8) * (1.0 / 16777216.0);
}

// sigmoid is 1/(1+e^-x), written so that the exponential never overflows
// (as cpuref's sigmoid).
float sigmoid(float x) {
    if (x >= 0.0) {
        return 1.0 / (1.0 + exp(-x));
    }
    float e = exp(x);
    return e / (1.0 + e);
}

// tanh_safe is tanh without the overflow of (e^x - e^-x)/(e^x + e^-x) that
// some drivers' built-in tanh has for large |x|.
float tanh_safe(float x) {
    float e = exp(-2.0 * abs(x));
    return sign(x) * ((1.0 - e) / (1.0 + e));
}

// log1p_safe is log(1+u) accurate for small u (Goldberg's trick: the
// rounding error of 1+u cancels in u/(w-1)).
float log1p_safe(float u) {
    float w = 1.0 + u;
    if (w == 1.0) {
        return u;
    }
    return log(w) * (u / (w - 1.0));
}
