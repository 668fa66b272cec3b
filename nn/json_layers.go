package nn

import (
	"sort"
)

// layerImporters builds each Keras class Anvil implements from its config.
// Each reads every key the class's get_config writes in tf.keras 2.x and
// Keras 3 that changes what the layer computes; done() catches the rest.
var layerImporters = map[string]func(c *layerCfg) Layer{
	"Dense":                  importDense,
	"Conv2D":                 importConv2D,
	"BatchNormalization":     importBatchNorm,
	"Dropout":                importDropout,
	"LeakyReLU":              importLeakyReLU,
	"ReLU":                   importReLU,
	"Activation":             importActivation,
	"Softmax":                importSoftmax,
	"MaxPooling2D":           func(c *layerCfg) Layer { return importPool(c, MaxPooling2D) },
	"AveragePooling2D":       func(c *layerCfg) Layer { return importPool(c, AveragePooling2D) },
	"GlobalAveragePooling2D": importGlobalPool,
	"Flatten":                importFlatten,
	"Reshape":                importReshape,
	"Add":                    func(c *layerCfg) Layer { return Add(c.opts...) },
	"Concatenate":            importConcatenate,
}

// supportedClasses lists the importable classes for error messages.
func supportedClasses() []string {
	out := []string{"InputLayer"}
	for k := range layerImporters {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func (c *layerCfg) add(o ...Option) { c.opts = append(c.opts, o...) }

// activation reads an activation name; "linear" (Keras's default) is none.
func (c *layerCfg) activation(key string) {
	if name := c.str(key, "linear"); name != "linear" {
		c.add(WithActivation(name))
	}
}

// kernelAndBias reads what Dense and Conv2D share.
func (c *layerCfg) kernelAndBias() {
	c.activation("activation")
	if !c.boolean("use_bias", true) {
		c.add(WithUseBias(false))
	}
	c.add(WithKernelInitializer(c.initializer("kernel_initializer", "glorot_uniform")),
		WithBiasInitializer(c.initializer("bias_initializer", "zeros")))
}

// channelsLast rejects channels_first images: Anvil is NHWC throughout.
func (c *layerCfg) channelsLast() { c.require("data_format", `"channels_last"`) }

func importDense(c *layerCfg) Layer {
	units := c.integer("units", 0)
	c.kernelAndBias()
	return Dense(units, c.opts...)
}

func importConv2D(c *layerCfg) Layer {
	filters := c.integer("filters", 0)
	k := c.pair("kernel_size", [2]int{0, 0})
	s := c.pair("strides", [2]int{1, 1})
	c.add(WithKernelSize(k[0], k[1]), WithStrides(s[0], s[1]), WithPadding(c.str("padding", "valid")))
	c.channelsLast()
	c.require("dilation_rate", "1", "[1,1]")
	c.require("groups", "1")
	c.kernelAndBias()
	return Conv2D(filters, k[0], c.opts...)
}

func importBatchNorm(c *layerCfg) Layer {
	c.axis("axis")
	c.add(WithMomentum(c.number("momentum", 0.99)), WithEpsilon(c.number("epsilon", 1e-3)))
	c.require("center", "true")
	c.require("scale", "true")
	for _, kv := range [][2]string{{"beta_initializer", "zeros"}, {"gamma_initializer", "ones"},
		{"moving_mean_initializer", "zeros"}, {"moving_variance_initializer", "ones"}} {
		key, want := kv[0], kv[1]
		if got := c.initializer(key, want); got != want && c.err == nil {
			c.fail(key, "%s is not supported: Anvil initialises BatchNormalization with Keras's defaults (%s)", got, want)
		}
	}
	c.take("fused") // a TensorFlow kernel choice; the result is the same
	return BatchNormalization(c.opts...)
}

func importDropout(c *layerCfg) Layer {
	rate := c.number("rate", 0)
	c.require("noise_shape")
	c.take("seed") // Anvil's masks come from the Fit seed
	return Dropout(rate, c.opts...)
}

func importLeakyReLU(c *layerCfg) Layer {
	slope := c.number("alpha", 0.3) // tf.keras 2.x
	slope = c.number("negative_slope", slope)
	return LeakyReLU(append(c.opts, WithNegativeSlope(slope))...)
}

func importReLU(c *layerCfg) Layer {
	c.require("max_value")
	c.require("negative_slope", "0", "0.0")
	c.require("threshold", "0", "0.0")
	return ReLU(c.opts...)
}

func importActivation(c *layerCfg) Layer {
	name := c.str("activation", "")
	if name == "" {
		c.fail("activation", "missing: name the activation, e.g. \"relu\"")
	}
	return Activation(name, c.opts...)
}

func importSoftmax(c *layerCfg) Layer {
	c.axis("axis")
	return Softmax(c.opts...)
}

func importPool(c *layerCfg, ctor func(...Option) Layer) Layer {
	p := c.pair("pool_size", [2]int{2, 2})
	c.add(WithPoolSize(p[0], p[1]), WithPadding(c.str("padding", "valid")))
	if _, ok := c.vals["strides"]; ok && c.vals["strides"] != nil {
		s := c.pair("strides", p)
		c.add(WithStrides(s[0], s[1]))
	}
	c.channelsLast()
	return ctor(c.opts...)
}

func importGlobalPool(c *layerCfg) Layer {
	c.channelsLast()
	c.require("keepdims", "false")
	return GlobalAveragePooling2D(c.opts...)
}

func importFlatten(c *layerCfg) Layer {
	c.channelsLast()
	return Flatten(c.opts...)
}

func importReshape(c *layerCfg) Layer {
	v, _ := c.take("target_shape")
	dims, err := toInts(v)
	if err != nil {
		c.fail("target_shape", "%v", err)
	}
	return Reshape(dims, c.opts...)
}

func importConcatenate(c *layerCfg) Layer {
	c.axis("axis")
	return Concatenate(c.opts...)
}
