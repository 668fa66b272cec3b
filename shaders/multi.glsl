// multi.glsl: what the many-tensor optimizer shaders (sgd_multi,
// adam_multi, rmsprop_multi) share. One dispatch updates up to
// MULTI_TENSORS parameters: a grid-stride loop runs over their
// concatenated elements, off[k] ≤ j < off[k+1] being element j − off[k] of
// tensor k, whose buffers sit at bindings from 1 + k·stride (gpu/
// kernel_optim_multi.go binds a dummy for each unused tensor, whose
// range is empty). Bindings cannot be indexed at run time, so a switch
// picks the tensor's buffers.

#define MULTI_TENSORS 7

// MULTI_FIND(K, J) declares uint K, the tensor of element J of the
// concatenation: off[K] ≤ J < off[K+1]. It reads the push table off
// (ascending, with J < off[MULTI_TENSORS]).
#define MULTI_FIND(K, J)                                           \
    uint K = 0u;                                                   \
    while (K + 1u < MULTI_TENSORS && J >= off[K + 1u]) {           \
        K++;                                                       \
    }
