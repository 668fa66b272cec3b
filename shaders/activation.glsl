// activation.glsl: the smooth activations (gelu, silu, elu, selu,
// softplus) and their derivatives, shared by activation.comp and
// activation_backward.comp. fn numbers tensor.ActFn (6..10). CPU
// reference: cpuref/activation_smooth.go, which works in float64; these
// work in float32 with the shader's exp and log, so they agree to a few
// ulp of a value of order 1 (see gpu/kernel_activation_test.go).

// Keras's selu constants (tensor.SELUAlpha, tensor.SELUScale).
const float SELU_ALPHA = 1.67326324;
const float SELU_SCALE = 1.05070098;

// normal_cdf is Φ(x) = (1 + erf(x/√2))/2, GLSL having no erf: Abramowitz
// and Stegun 7.1.26, whose erf is within 1.5e-7. It evaluates the tail
// q = erfc(|x|/√2)/2 for both signs, so Φ's small values for negative x
// come without the cancellation of 1 + erf.
float normal_cdf(float x) {
    float z = abs(x) * 0.70710678;
    float t = 1.0 / (1.0 + 0.3275911 * z);
    float poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))));
    float q = 0.5 * poly * exp(-z * z);
    return x >= 0.0 ? 1.0 - q : q;
}

// expm1_safe is e^x − 1 keeping its relative accuracy near 0, where
// exp(x) − 1 cancels: a Taylor polynomial for |x| < 0.1, whose truncation
// x^6/720 is below 1.4e-9 relative there.
float expm1_safe(float x) {
    if (abs(x) < 0.1) {
        return x * (1.0 + x * (0.5 + x * (1.0 / 6.0 + x * (1.0 / 24.0 + x * (1.0 / 120.0)))));
    }
    return exp(x) - 1.0;
}

// smooth_act is fn(x) for the smooth activations.
float smooth_act(uint fn, float x) {
    switch (fn) {
    case 6u: return x * normal_cdf(x);                     // gelu, exact form
    case 7u: return x * sigmoid(x);                        // silu
    case 8u: return x > 0.0 ? x : expm1_safe(x);           // elu, alpha 1
    case 9u: return SELU_SCALE * (x > 0.0 ? x : SELU_ALPHA * expm1_safe(x));
    case 10u: return max(x, 0.0) + log1p_safe(exp(-abs(x))); // softplus, no overflow
    }
    return x;
}

// smooth_grad is fn'(x) for the smooth activations.
float smooth_grad(uint fn, float x) {
    switch (fn) {
    case 6u: return normal_cdf(x) + x * exp(-0.5 * x * x) * 0.39894228; // Φ + x·φ
    case 7u: { float s = sigmoid(x); return s * (1.0 + x * (1.0 - s)); }
    case 8u: return x > 0.0 ? 1.0 : exp(x);
    case 9u: return SELU_SCALE * (x > 0.0 ? 1.0 : SELU_ALPHA * exp(x));
    case 10u: return sigmoid(x);
    }
    return 1.0;
}
