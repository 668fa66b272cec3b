// nadam.glsl: the Nadam update (tensor.NadamUpdate, as Keras 3's Nadam)
// shared by nadam.comp (one tensor) and nadam_bda.comp (every tensor of an
// update group in one dispatch), so that an update grouped with others
// computes the same float32 operations in the same order, bit for bit.
// With u_s = β1·(1 − 0.5·0.96^s) and Π_t = u_1·…·u_t, step t does
//   M += (Grad−M)(1−β1); V += (Grad²−V)(1−β2);
//   m̂ = a·M + b·Grad, a = u_{t+1}/(1−Π_t·u_{t+1}), b = (1−u_t)/(1−Π_t);
//   Param −= lr·m̂/(sqrt(V/c2)+ε), c2 = 1−β2^t.
// The scalars change with the step, so they are computed in the shader in
// float32 (0.96^s as exp(s·ln 0.96), 1−β2^t as adam_alpha's −expm1).
// Needs optim.glsl (expm1). CPU reference: cpuref/nadam.go (which computes
// the scalars in float64).
//
// Π is per-tensor state (Product, two values): every invocation reads
// Π_{t−1} from product[(t−1) mod 2] (1 at t = 1) and forms Π_t alike; the
// one invocation that updates element 0 of the tensor stores it at
// product[t mod 2], which no invocation of this step reads. So no
// invocation reads what another writes in the same dispatch, however many
// tensors it spans.

// NadamStep is what step t's update shares across every tensor: u_t,
// u_{t+1} and c2 = 1−β2^t.
struct NadamStep {
    float ut;
    float ut1;
    float c2;
};

// nadam_step is this step's NadamStep; ln_b2 is ln β2 and ln_decay
// ln 0.96, taken in float64 on the host.
NadamStep nadam_step(float beta1, float ln_b2, float ln_decay) {
    float t = float(args.step_lo) + float(args.step_hi) * 4294967296.0;
    NadamStep s;
    s.ut = beta1 * (1.0 - 0.5 * exp(t * ln_decay));
    s.ut1 = beta1 * (1.0 - 0.5 * exp((t + 1.0) * ln_decay));
    s.c2 = -expm1(t * ln_b2);
    return s;
}

// NADAM_PROD(PRODUCT) is Π_t = Π_{t−1}·u_t of a tensor whose Product is
// the float array PRODUCT (a binding or a device address): Π_{t−1} is
// PRODUCT[(t−1) mod 2], or 1 at t = 1 whatever it holds. It reads s, the
// NadamStep. A macro, as a buffer cannot be a function argument.
#define NADAM_PROD(PRODUCT)                                              \
    ((args.step_lo == 1u && args.step_hi == 0u ? 1.0                     \
                                               : PRODUCT[(args.step_lo - 1u) & 1u]) * s.ut)

// NADAM_STORE(PRODUCT, PROD) stores Π_t at PRODUCT[t mod 2]; only the
// invocation that updates the tensor's element 0 may.
#define NADAM_STORE(PRODUCT, PROD) PRODUCT[args.step_lo & 1u] = PROD;

// nadam_ab is (a, b) of a tensor whose Π_t is prod.
vec2 nadam_ab(NadamStep s, float prod) {
    return vec2(s.ut1 / (1.0 - prod * s.ut1), (1.0 - s.ut) / (1.0 - prod));
}

// NADAM_STEP(P, G, M1, M2, AB) updates element P of a parameter with
// gradient G and moments M1, M2 (lvalues), AB being the tensor's
// nadam_ab. It reads s, one_minus_b1, one_minus_b2 and eps from the
// including shader.
#define NADAM_STEP(P, G, M1, M2, AB)                                      \
    {                                                                     \
        float g_ = G;                                                     \
        float m_ = M1 + (g_ - M1) * one_minus_b1;                         \
        float v_ = M2 + (g_ * g_ - M2) * one_minus_b2;                    \
        M1 = m_;                                                          \
        M2 = v_;                                                          \
        P -= args.lr * ((AB).x * m_ + (AB).y * g_) / (sqrt(v_ / s.c2) + eps); \
    }
