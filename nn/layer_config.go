package nn

import (
	"sort"

	"github.com/anvil-ml/anvil/format/kerasjson"
)

// Each layer type reads and writes its own Keras config beside its code,
// as Keras's from_config and get_config do: a getConfig method writes the
// class-specific keys (those tf.keras 2.x's get_config writes, in its
// order, options Anvil does not have written as Keras's "off" value), and
// a FromConfig function reads them. This file holds what they share and
// the table of classes; format/kerasjson holds the file layout.

// object and field are the ordered JSON object configs are written as.
type (
	object = kerasjson.Object
	field  = kerasjson.Field
)

// configWriter is implemented by every layer type but the InputLayer.
type configWriter interface {
	getConfig() object
}

// layerFromConfig builds each Keras class Anvil implements from its config.
// Each reads every key the class's get_config writes in tf.keras 2.x and
// Keras 3 that changes what the layer computes; Done catches the rest.
var layerFromConfig = map[string]func(c *layerCfg) Layer{
	"Dense":                  denseFromConfig,
	"Conv2D":                 conv2DFromConfig,
	"BatchNormalization":     batchNormFromConfig,
	"Dropout":                dropoutFromConfig,
	"LeakyReLU":              leakyReLUFromConfig,
	"ReLU":                   reluFromConfig,
	"Activation":             activationFromConfig,
	"Softmax":                softmaxFromConfig,
	"MaxPooling2D":           func(c *layerCfg) Layer { return poolFromConfig(c, MaxPooling2D) },
	"AveragePooling2D":       func(c *layerCfg) Layer { return poolFromConfig(c, AveragePooling2D) },
	"GlobalAveragePooling2D": globalPoolFromConfig,
	"Flatten":                flattenFromConfig,
	"Reshape":                reshapeFromConfig,
	"Add":                    func(c *layerCfg) Layer { return Add(c.opts...) },
	"Concatenate":            concatenateFromConfig,
}

// supportedClasses lists the importable classes for error messages.
func supportedClasses() []string {
	out := []string{"InputLayer"}
	for k := range layerFromConfig {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// layerCfg reads one layer's config (kerasjson.Config) and collects the
// options for the layer's constructor.
type layerCfg struct {
	*kerasjson.Config
	opts []Option
}

func newLayerCfg(class, name string, vals map[string]any) *layerCfg {
	return &layerCfg{Config: kerasjson.NewConfig(class, name, vals), opts: []Option{WithName(name)}}
}

func (c *layerCfg) add(o ...Option) { c.opts = append(c.opts, o...) }

// activation reads an activation name; "linear" (Keras's default) is none.
func (c *layerCfg) activation(key string) {
	if name := c.String(key, "linear"); name != "linear" {
		c.add(WithActivation(name))
	}
}

// kernelAndBias reads what Dense and Conv2D share.
func (c *layerCfg) kernelAndBias() {
	c.activation("activation")
	if !c.Bool("use_bias", true) {
		c.add(WithUseBias(false))
	}
	c.add(WithKernelInitializer(c.initializer("kernel_initializer", "glorot_uniform")),
		WithBiasInitializer(c.initializer("bias_initializer", "zeros")))
}

// channelsLast rejects channels_first images: Anvil is NHWC throughout.
func (c *layerCfg) channelsLast() { c.Require("data_format", `"channels_last"`) }

// initializer reads an initializer key (any form kerasjson.ParseInitializer
// reads) and returns the Anvil name, or def when absent.
func (c *layerCfg) initializer(key, def string) string {
	v, ok := c.Take(key)
	if !ok {
		return def
	}
	name, err := kerasjson.ParseInitializer(v, func(name string) error {
		_, err := initializerByName(name)
		return err
	})
	if err != nil {
		c.Fail(key, "%v", err)
	}
	return name
}

// kernelAndBiasConfig is what Dense and Conv2D write, after their own keys.
func (b *layerBase) kernelAndBiasConfig() object {
	useBias := b.cfg.useBias == nil || *b.cfg.useBias
	o := object{{"activation", b.act.String()}, {"use_bias", useBias},
		{"kernel_initializer", kerasjson.InitializerJSON(orDefault(b.cfg.kernelInitializer, "glorot_uniform"))},
		{"bias_initializer", kerasjson.InitializerJSON(orDefault(b.cfg.biasInitializer, "zeros"))}}
	return append(o, kerasjson.Off("kernel_regularizer", "bias_regularizer", "activity_regularizer",
		"kernel_constraint", "bias_constraint")...)
}

// initializerConfig, pairConfig and offConfig write an initializer, a
// window or stride, and unset options as Keras does; configInts reads a
// list of sizes.
var (
	initializerConfig = kerasjson.InitializerJSON
	pairConfig        = kerasjson.PairJSON
	offConfig         = kerasjson.Off
	configInts        = kerasjson.ToInts
)

// getConfig writes Dense's Keras config.
func (l *denseLayer) getConfig() object {
	return append(object{{"units", l.units}}, l.kernelAndBiasConfig()...)
}

// denseFromConfig builds a Dense from its Keras config.
func denseFromConfig(c *layerCfg) Layer {
	units := c.Int("units", 0)
	c.kernelAndBias()
	return Dense(units, c.opts...)
}

// getConfig writes Conv2D's Keras config.
func (l *conv2DLayer) getConfig() object {
	o := object{{"filters", l.filters}, {"kernel_size", pairConfig(l.cfg.kernelSize)},
		{"strides", pairConfig(l.cfg.strides)}, {"padding", string(l.cfg.padding)},
		{"data_format", "channels_last"}, {"dilation_rate", []int{1, 1}}, {"groups", 1}}
	return append(o, l.kernelAndBiasConfig()...)
}

// conv2DFromConfig builds a Conv2D from its Keras config.
func conv2DFromConfig(c *layerCfg) Layer {
	filters := c.Int("filters", 0)
	k := c.Pair("kernel_size", [2]int{0, 0})
	s := c.Pair("strides", [2]int{1, 1})
	c.add(WithKernelSize(k[0], k[1]), WithStrides(s[0], s[1]), WithPadding(c.String("padding", "valid")))
	c.channelsLast()
	c.Require("dilation_rate", "1", "[1,1]")
	c.Require("groups", "1")
	c.kernelAndBias()
	return Conv2D(filters, k[0], c.opts...)
}

// getConfig writes BatchNormalization's Keras config.
func (l *batchNormLayer) getConfig() object {
	o := object{{"axis", -1}, {"momentum", l.cfg.momentum}, {"epsilon", l.cfg.epsilon},
		{"center", true}, {"scale", true},
		{"beta_initializer", initializerConfig("zeros")}, {"gamma_initializer", initializerConfig("ones")},
		{"moving_mean_initializer", initializerConfig("zeros")},
		{"moving_variance_initializer", initializerConfig("ones")}}
	return append(o, offConfig("beta_regularizer", "gamma_regularizer", "beta_constraint", "gamma_constraint")...)
}

// batchNormFromConfig builds a BatchNormalization from its Keras config.
func batchNormFromConfig(c *layerCfg) Layer {
	c.Axis("axis")
	c.add(WithMomentum(c.Number("momentum", 0.99)), WithEpsilon(c.Number("epsilon", 1e-3)))
	c.Require("center", "true")
	c.Require("scale", "true")
	for _, kv := range [][2]string{{"beta_initializer", "zeros"}, {"gamma_initializer", "ones"},
		{"moving_mean_initializer", "zeros"}, {"moving_variance_initializer", "ones"}} {
		key, want := kv[0], kv[1]
		if got := c.initializer(key, want); got != want && c.Err() == nil {
			c.Fail(key, "%s is not supported: Anvil initialises BatchNormalization with Keras's defaults (%s)", got, want)
		}
	}
	c.Take("fused") // a TensorFlow kernel choice; the result is the same
	return BatchNormalization(c.opts...)
}

// getConfig writes Dropout's Keras config.
func (l *dropoutLayer) getConfig() object {
	return object{{"rate", l.rate}, {"noise_shape", nil}, {"seed", nil}}
}

// dropoutFromConfig builds a Dropout from its Keras config.
func dropoutFromConfig(c *layerCfg) Layer {
	rate := c.Number("rate", 0)
	c.Require("noise_shape")
	c.Take("seed") // Anvil's masks come from the Fit seed
	return Dropout(rate, c.opts...)
}

// getConfig writes the Keras config of Activation, ReLU, LeakyReLU or
// Softmax.
func (l *activationLayer) getConfig() object {
	switch l.class {
	case "LeakyReLU":
		return object{{"alpha", l.alpha}} // tf.keras 2.x's name; Keras 3 reads it too
	case "ReLU":
		return object{{"max_value", nil}, {"negative_slope", 0.0}, {"threshold", 0.0}}
	case "Softmax":
		return object{{"axis", -1}}
	}
	return object{{"activation", l.act.String()}}
}

// leakyReLUFromConfig builds a LeakyReLU from its Keras config.
func leakyReLUFromConfig(c *layerCfg) Layer {
	slope := c.Number("alpha", 0.3) // tf.keras 2.x
	slope = c.Number("negative_slope", slope)
	return LeakyReLU(append(c.opts, WithNegativeSlope(slope))...)
}

// reluFromConfig builds a ReLU from its Keras config.
func reluFromConfig(c *layerCfg) Layer {
	c.Require("max_value")
	c.Require("negative_slope", "0", "0.0")
	c.Require("threshold", "0", "0.0")
	return ReLU(c.opts...)
}

// activationFromConfig builds an Activation from its Keras config.
func activationFromConfig(c *layerCfg) Layer {
	name := c.String("activation", "")
	if name == "" {
		c.Fail("activation", "missing: name the activation, e.g. \"relu\"")
	}
	return Activation(name, c.opts...)
}

// softmaxFromConfig builds a Softmax from its Keras config.
func softmaxFromConfig(c *layerCfg) Layer {
	c.Axis("axis")
	return Softmax(c.opts...)
}

// getConfig writes the Keras config of a pooling layer.
func (l *poolLayer) getConfig() object {
	if l.global {
		return object{{"data_format", "channels_last"}, {"keepdims", false}}
	}
	return object{{"pool_size", pairConfig(l.cfg.poolSize)}, {"padding", string(l.cfg.padding)},
		{"strides", pairConfig(l.cfg.strides)}, {"data_format", "channels_last"}}
}

// poolFromConfig builds MaxPooling2D or AveragePooling2D (ctor) from its
// Keras config.
func poolFromConfig(c *layerCfg, ctor func(...Option) Layer) Layer {
	p := c.Pair("pool_size", [2]int{2, 2})
	c.add(WithPoolSize(p[0], p[1]), WithPadding(c.String("padding", "valid")))
	if _, ok := c.Vals["strides"]; ok && c.Vals["strides"] != nil {
		s := c.Pair("strides", p)
		c.add(WithStrides(s[0], s[1]))
	}
	c.channelsLast()
	return ctor(c.opts...)
}

// globalPoolFromConfig builds a GlobalAveragePooling2D from its Keras config.
func globalPoolFromConfig(c *layerCfg) Layer {
	c.channelsLast()
	c.Require("keepdims", "false")
	return GlobalAveragePooling2D(c.opts...)
}

// getConfig writes the Keras config of Flatten or Reshape.
func (l *reshapeLayer) getConfig() object {
	if l.target == nil {
		return object{{"data_format", "channels_last"}}
	}
	return object{{"target_shape", []int(l.target)}}
}

// flattenFromConfig builds a Flatten from its Keras config.
func flattenFromConfig(c *layerCfg) Layer {
	c.channelsLast()
	return Flatten(c.opts...)
}

// reshapeFromConfig builds a Reshape from its Keras config.
func reshapeFromConfig(c *layerCfg) Layer {
	v, _ := c.Take("target_shape")
	dims, err := configInts(v)
	if err != nil {
		c.Fail("target_shape", "%v", err)
	}
	return Reshape(dims, c.opts...)
}

// getConfig writes the Keras config of Add or Concatenate.
func (l *mergeLayer) getConfig() object {
	if l.concat {
		return object{{"axis", -1}}
	}
	return object{}
}

// concatenateFromConfig builds a Concatenate from its Keras config.
func concatenateFromConfig(c *layerCfg) Layer {
	c.Axis("axis")
	return Concatenate(c.opts...)
}
