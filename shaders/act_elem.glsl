// act_elem.glsl: fn(v) for every elementwise activation (all but softmax),
// the one definition that activation.comp and the GEMM epilogue
// (gemm_epilogue.glsl) both apply, so that a fused epilogue computes the
// same float32 operations as the Activation op it replaces. fn numbers
// tensor.ActFn; alpha is leaky_relu's negative slope. The includer
// includes common.glsl, activation.glsl and rectifier.glsl first.
// CPU reference: cpuref/activation.go.

float act_elem(uint fn, float v, float alpha) {
    switch (fn) {
    case 0u: return v;
    case 1u:
    case 2u: return rectify(fn, v, alpha);
    case 3u: return sigmoid(v);
    case 4u: return tanh_safe(v);
    }
    return smooth_act(fn, v);
}
