// optim.glsl: the per-element update of each optimizer, shared by the
// one-tensor shaders (sgd, adam, rmsprop) and the many-tensor ones
// (sgd_multi, adam_multi, rmsprop_multi), so that an update grouped with
// others computes the same float32 operations in the same order, bit for
// bit. The formulas are tensor/ops_optim.go's; CPU reference
// cpuref/optim.go.

// SGD_STEP(P, G, V) updates element P of a parameter with gradient G and
// velocity V (lvalues; V is touched only when has_velocity, as its buffer
// is a dummy otherwise): without velocity Param −= lr·Grad; with it
// Velocity = momentum·Velocity − lr·Grad, then Param += Velocity, or with
// Nesterov Param += momentum·Velocity − lr·Grad. It reads lr, momentum,
// nesterov and has_velocity from the including shader. Macros rather than
// functions, because an inout argument would copy a dummy V in and out.
#define SGD_STEP(P, G, V)                                   \
    {                                                       \
        float g_ = G;                                       \
        if (has_velocity == 0u) {                           \
            P -= lr * g_;                                   \
        } else {                                            \
            float v_ = momentum * V - lr * g_;              \
            V = v_;                                         \
            P += nesterov != 0u ? momentum * v_ - lr * g_ : v_; \
        }                                                   \
    }

// expm1 is e^x − 1 for x <= 0 without cancellation near 0.
float expm1(float x) {
    if (x > -0.5) {
        // Horner form of x + x²/2! + ... + x^10/10!; the first omitted term
        // is below 2^-26 of the result for |x| <= 0.5.
        float s = 1.0;
        for (int k = 10; k >= 2; k--) {
            s = 1.0 + s * x / float(k);
        }
        return x * s;
    }
    return exp(x) - 1.0;
}

// adam_alpha is this step's α = lr·sqrt(1−β2^t)/(1−β1^t), in float32:
// 1−β^t = −expm1(t·ln β) with ln β computed on the host in float64 (a
// static push constant) and expm1 by its Taylor series where the argument
// is small, which keeps 1−β^t accurate to a few ulp also for t = 1, where
// the naive 1 − pow(β, t) loses about half its digits to cancellation.
float adam_alpha(float ln_b1, float ln_b2) {
    float t = float(args.step_lo) + float(args.step_hi) * 4294967296.0;
    float c1 = -expm1(t * ln_b1); // 1 − β1^t
    float c2 = -expm1(t * ln_b2); // 1 − β2^t
    return args.lr * sqrt(c2) / c1;
}

// ADAM_STEP(P, G, M1, M2) updates element P of a parameter with gradient
// G and moments M1, M2 (lvalues): M += (Grad−M)(1−β1); V += (Grad²−V)(1−β2);
// Param −= α·M/(sqrt(V)+ε). It reads alpha, one_minus_b1, one_minus_b2 and
// eps from the including shader.
#define ADAM_STEP(P, G, M1, M2)                          \
    {                                                    \
        float g_ = G;                                    \
        float m_ = M1 + (g_ - M1) * one_minus_b1;        \
        float v_ = M2 + (g_ * g_ - M2) * one_minus_b2;   \
        M1 = m_;                                         \
        M2 = v_;                                         \
        P -= m_ * alpha / (sqrt(v_) + eps);              \
    }

// ADAMW_DECAY(P) applies Keras's decoupled weight decay (AdamW) to
// element P of a parameter before its Adam step: Param −= Param·wd·lr, in
// Keras's order. It reads wd from the including shader; wd = 0 (plain
// Adam) skips it, so that Adam's arithmetic stays as it was.
#define ADAMW_DECAY(P)                                   \
    if (wd != 0.0) {                                     \
        P -= P * wd * args.lr;                           \
    }

// RMSPROP_STEP(P, G, MS, V) updates element P of a parameter with
// gradient G, mean square MS and velocity V (lvalues; V is touched only
// when has_velocity): MeanSquare = ρ·MeanSquare + (1−ρ)·Grad²;
// step = lr·Grad/sqrt(MeanSquare+ε); without velocity Param −= step, else
// Velocity = momentum·Velocity + step and Param −= Velocity. It reads lr,
// rho, one_minus_rho, momentum, eps and has_velocity from the including
// shader.
#define RMSPROP_STEP(P, G, MS, V)                            \
    {                                                        \
        float g_ = G;                                        \
        float s_ = rho * MS + one_minus_rho * g_ * g_;       \
        MS = s_;                                             \
        float step_ = lr * g_ / sqrt(s_ + eps);              \
        if (has_velocity == 0u) {                            \
            P -= step_;                                      \
        } else {                                             \
            float v_ = momentum * V + step_;                 \
            V = v_;                                          \
            P -= v_;                                         \
        }                                                    \
    }
