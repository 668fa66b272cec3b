package nn

// Each layer type writes the class-specific part of its Keras config here,
// with the keys tf.keras 2.x's get_config writes, in its order, so that
// tf.keras's model_from_json rebuilds the same layer. Options Anvil does
// not have (regularizers, constraints) are written as Keras's "off" value.

// kerasExporter is implemented by every layer type but the InputLayer.
type kerasExporter interface {
	kerasConfig() obj
}

// offKeys are Keras's regularizer and constraint settings, all unset.
func offKeys(keys ...string) obj {
	out := make(obj, len(keys))
	for i, k := range keys {
		out[i] = field{k, null}
	}
	return out
}

// kernelAndBiasJSON is what Dense and Conv2D share, after their own keys.
func (b *layerBase) kernelAndBiasJSON() obj {
	useBias := b.cfg.useBias == nil || *b.cfg.useBias
	o := obj{{"activation", b.act.String()}, {"use_bias", useBias},
		{"kernel_initializer", initializerJSON(orDefault(b.cfg.kernelInitializer, "glorot_uniform"))},
		{"bias_initializer", initializerJSON(orDefault(b.cfg.biasInitializer, "zeros"))}}
	return append(o, offKeys("kernel_regularizer", "bias_regularizer", "activity_regularizer",
		"kernel_constraint", "bias_constraint")...)
}

func (l *denseLayer) kerasConfig() obj {
	return append(obj{{"units", l.units}}, l.kernelAndBiasJSON()...)
}

func (l *conv2DLayer) kerasConfig() obj {
	o := obj{{"filters", l.filters}, {"kernel_size", pairJSON(l.cfg.kernelSize)},
		{"strides", pairJSON(l.cfg.strides)}, {"padding", string(l.cfg.padding)},
		{"data_format", "channels_last"}, {"dilation_rate", []int{1, 1}}, {"groups", 1}}
	return append(o, l.kernelAndBiasJSON()...)
}

func (l *batchNormLayer) kerasConfig() obj {
	o := obj{{"axis", -1}, {"momentum", l.cfg.momentum}, {"epsilon", l.cfg.epsilon},
		{"center", true}, {"scale", true},
		{"beta_initializer", initializerJSON("zeros")}, {"gamma_initializer", initializerJSON("ones")},
		{"moving_mean_initializer", initializerJSON("zeros")},
		{"moving_variance_initializer", initializerJSON("ones")}}
	return append(o, offKeys("beta_regularizer", "gamma_regularizer", "beta_constraint", "gamma_constraint")...)
}

func (l *dropoutLayer) kerasConfig() obj {
	return obj{{"rate", l.rate}, {"noise_shape", null}, {"seed", null}}
}

func (l *activationLayer) kerasConfig() obj {
	switch l.class {
	case "LeakyReLU":
		return obj{{"alpha", l.alpha}} // tf.keras 2.x's name; Keras 3 reads it too
	case "ReLU":
		return obj{{"max_value", null}, {"negative_slope", 0.0}, {"threshold", 0.0}}
	case "Softmax":
		return obj{{"axis", -1}}
	}
	return obj{{"activation", l.act.String()}}
}

func (l *poolLayer) kerasConfig() obj {
	if l.global {
		return obj{{"data_format", "channels_last"}, {"keepdims", false}}
	}
	return obj{{"pool_size", pairJSON(l.cfg.poolSize)}, {"padding", string(l.cfg.padding)},
		{"strides", pairJSON(l.cfg.strides)}, {"data_format", "channels_last"}}
}

func (l *reshapeLayer) kerasConfig() obj {
	if l.target == nil {
		return obj{{"data_format", "channels_last"}}
	}
	return obj{{"target_shape", []int(l.target)}}
}

func (l *mergeLayer) kerasConfig() obj {
	if l.concat {
		return obj{{"axis", -1}}
	}
	return obj{}
}
