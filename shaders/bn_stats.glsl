// bn_stats.glsl: how bn_stats and bn_stats_merge save a channel's batch
// statistics. The including shader declares the push constants momentum,
// eps and unbiased before including it.

layout(std430, set = 0, binding = 2) buffer MovingMean { float moving_mean[]; };
layout(std430, set = 0, binding = 3) buffer MovingVar { float moving_var[]; };
layout(std430, set = 0, binding = 4) writeonly buffer Mean { float mean_out[]; };
layout(std430, set = 0, binding = 5) writeonly buffer InvStd { float invstd_out[]; };

// bn_save_stats saves mean and invstd = 1/sqrt(v+eps) of channel ch, whose
// m positions have mean and biased variance v, and updates its moving
// statistics.
void bn_save_stats(uint ch, uint m, float mean, float v) {
    float fm = float(m);
    mean_out[ch] = mean;
    invstd_out[ch] = 1.0 / sqrt(v + eps);
    if (unbiased != 0u && m > 1u) {
        // With one element the unbiased variance is undefined; the
        // biased one (0) is used instead, as in cpuref.
        v *= fm / (fm - 1.0);
    }
    moving_mean[ch] = moving_mean[ch] * momentum + mean * (1.0 - momentum);
    moving_var[ch] = moving_var[ch] * momentum + v * (1.0 - momentum);
}
