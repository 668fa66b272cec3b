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
	"GlobalAveragePooling2D": func(c *layerCfg) Layer { return globalPoolFromConfig(c, GlobalAveragePooling2D) },
	"GlobalMaxPooling2D":     func(c *layerCfg) Layer { return globalPoolFromConfig(c, GlobalMaxPooling2D) },
	"GlobalAveragePooling1D": func(c *layerCfg) Layer { return globalPoolFromConfig(c, GlobalAveragePooling1D) },
	"GlobalMaxPooling1D":     func(c *layerCfg) Layer { return globalPoolFromConfig(c, GlobalMaxPooling1D) },
	"MaxPooling1D":           func(c *layerCfg) Layer { return pool1DFromConfig(c, MaxPooling1D) },
	"AveragePooling1D":       func(c *layerCfg) Layer { return pool1DFromConfig(c, AveragePooling1D) },
	"Flatten":                flattenFromConfig,
	"Reshape":                reshapeFromConfig,
	"Add":                    func(c *layerCfg) Layer { return Add(c.opts...) },
	"Concatenate":            concatenateFromConfig,
	"Embedding":              embeddingFromConfig,
	"Conv1D":                 conv1DFromConfig,
	"LayerNormalization":     layerNormFromConfig,
	"UpSampling2D":           upSamplingFromConfig,
	"Conv2DTranspose":        convTransposeFromConfig,
	"DepthwiseConv2D":        depthwiseFromConfig,
	"SeparableConv2D":        separableFromConfig,
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
	if r, ok := c.regularizer("kernel_regularizer"); ok {
		c.add(WithKernelRegularizer(r))
	}
}

// single reads a 1-D layer's window or stride: one number or a
// one-element list, as Keras writes them.
func (c *layerCfg) single(key string, def int) int {
	v, ok := c.Take(key)
	if !ok {
		return def
	}
	if n, err := kerasjson.ToInt(v); err == nil {
		return n
	}
	if ns, err := configInts(v); err == nil && len(ns) == 1 {
		return ns[0]
	}
	c.Fail(key, "want one number or a one-element list, got %s", kerasjson.Compact(v))
	return def
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
	o = append(o, field{"kernel_regularizer", b.regularizerJSON("kernel")})
	return append(o, kerasjson.Off("bias_regularizer", "activity_regularizer",
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
