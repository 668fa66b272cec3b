// rectifier.glsl: ReLU and LeakyReLU and their derivatives, shared by the
// activation shaders and the batch-norm shaders that fuse them
// (bn_apply_act, bn_backward_sums_act), so that a fused op computes the
// same float32 operations as the unfused pair. fn numbers tensor.ActFn:
// 1 relu, 2 leaky_relu; alpha is leaky_relu's negative slope.

float rectify(uint fn, float v, float alpha) {
    return fn == 1u ? max(v, 0.0) : (v <= 0.0 ? v * alpha : v);
}

// rectify_grad is the gradient g of the output times the derivative at the
// input x; the derivative at 0 is 0 (relu) or alpha, as in TensorFlow.
float rectify_grad(uint fn, float g, float x, float alpha) {
    return fn == 1u ? (x > 0.0 ? g : 0.0) : (x > 0.0 ? g : g * alpha);
}
