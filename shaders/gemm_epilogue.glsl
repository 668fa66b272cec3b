// gemm_epilogue.glsl: what a GEMM does with each finished element of its
// product v at column n before storing it, when the plan's BiasAdd and
// elementwise Activation that followed it are fused into it (gpu/
// fuse_epilogue.go): the biased value v + bias[n] goes to C, and fn of it
// to Y, or to C itself when the activation was in place. Off (the
// defaults), it stores v unchanged, so unfused GEMMs are what they were.
// The operations are those of bias_add.comp and act_elem.glsl, in the same
// order, so a fused GEMM's results equal the unfused ops' bit for bit.
// CPU reference: the unfused ops in cpuref (elementwise.go, activation.go).
//
// The includer defines EPI_BIAS_BINDING and EPI_Y_BINDING (both bound,
// to a dummy when unused) and includes common.glsl, activation.glsl and
// rectifier.glsl first. Specialization constants 20..23.

#include "act_elem.glsl"

layout(constant_id = 20) const bool EPI_BIAS = false; // add bias[n]
layout(constant_id = 21) const uint EPI_ACT = 0;      // tensor.ActFn, not softmax; 0 linear
layout(constant_id = 22) const float EPI_ALPHA = 0.0; // leaky_relu's slope
layout(constant_id = 23) const bool EPI_Y = false;    // write fn(v) to Y, keep v in C

layout(std430, set = 0, binding = EPI_BIAS_BINDING) readonly buffer EpiBias_ { float epiBias[]; };
layout(std430, set = 0, binding = EPI_Y_BINDING) writeonly buffer EpiY_ { float epiY[]; };

// epilogue returns what element i (column n) of C holds, given the
// product v, and writes Y's element i when Y is a buffer of its own.
float epilogue(uint i, uint n, float v) {
    if (EPI_BIAS) {
        v = v + epiBias[n];
    }
    float a = act_elem(EPI_ACT, v, EPI_ALPHA); // folds to v for linear
    if (EPI_Y) {
        epiY[i] = a;
        return v;
    }
    return a;
}
