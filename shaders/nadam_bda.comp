#version 450
// nadam_bda: tensor.NadamUpdate of every parameter of an update group with
// one set of hyperparameters in one dispatch (bda.glsl), each element as
// nadam.comp updates it (nadam.glsl). Each tensor has its own Product:
// every invocation forms that tensor's Π_t from Π_{t−1} as nadam.comp
// does, and the one invocation that updates the tensor's element 0 stores
// it, in the slot no invocation of the step reads (nadam.glsl). CPU
// reference: cpuref/nadam.go.
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"
#include "optim.glsl"
#include "nadam.glsl"
#define BDA_PER 5u // param, grad, m, v, product
#include "bda.glsl"

layout(push_constant, std430) uniform Push {
    uint total;         // elements in the group
    uint ntensors;      // tensors in the group (the table's n)
    float one_minus_b1; // as in nadam.comp
    float one_minus_b2;
    float eps;
    float beta1;
    float ln_b2;
    float ln_decay;
};

// Element i of tensor k's buffers, and its Product.
#define PARAM BDA_BUF(k, 0u, ntensors).v[i]
#define GRAD BDA_BUF(k, 1u, ntensors).v[i]
#define MA BDA_BUF(k, 2u, ntensors).v[i]
#define VA BDA_BUF(k, 3u, ntensors).v[i]
#define PRODUCT BDA_BUF(k, 4u, ntensors).v

void main() {
    NadamStep s = nadam_step(beta1, ln_b2, ln_decay);
    // (a, b) of tensor kc, the last this invocation met: its elements are
    // consecutive in the grid-stride loop, so Π is read once per tensor.
    uint kc = 0xffffffffu;
    vec2 ab = vec2(0.0);
    for (uint j = gl_GlobalInvocationID.x; j < total; j += grid_stride()) {
        uint k = bda_find(j, ntensors);
        uint i = j - tab[k];
        if (k != kc) {
            float prod = NADAM_PROD(PRODUCT);
            // Element 0 is the first of tensor k that any invocation
            // meets, so k != kc here whenever i is 0.
            if (i == 0u) {
                NADAM_STORE(PRODUCT, prod)
            }
            ab = nadam_ab(s, prod);
            kc = k;
        }
        NADAM_STEP(PARAM, GRAD, MA, VA, ab)
    }
}
