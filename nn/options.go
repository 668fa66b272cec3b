package nn

import (
	"fmt"

	"github.com/anvil-ml/anvil/tensor"
)

// Option sets one keyword argument of a layer, as Keras's keyword
// arguments do: nn.Dense(200, nn.WithActivation("relu")). A layer that does
// not take an option reports it when the model is built.
type Option struct {
	key   string
	apply func(*config) error
}

// config collects every keyword a layer may take; each layer reads the ones
// it understands and rejects the others.
type config struct {
	name              string
	inputShape        tensor.Shape
	activation        string
	useBias           *bool
	strides           [2]int
	padding           tensor.Padding
	kernelInitializer string
	biasInitializer   string
	momentum          float32
	epsilon           float32
	alpha             float32
	poolSize          [2]int
	kernelSize        [2]int
	set               map[string]bool
	conv              convConfig // options_conv.go
	// regularizers maps a variable's name ("kernel", "embeddings") to
	// its penalty.
	regularizers map[string]Regularizer
	aug          augmentConfig // the augmentation and preprocessing layers' options (augment_options.go)
	dtype        string        // WithDType's policy; "" follows the model (mixed_policy.go)
	synchronized bool          // BatchNormalization's (syncbn.go)
}

func opt(key string, f func(*config) error) Option { return Option{key: key, apply: f} }

// WithName names the layer instead of using the automatic Keras name.
func WithName(name string) Option {
	return opt("name", func(c *config) error {
		if name == "" {
			return fmt.Errorf("name must not be empty")
		}
		c.name = name
		return nil
	})
}

// WithInputShape gives the first layer of a Sequential model the shape of
// one sample, without the batch dimension (Keras's input_shape).
func WithInputShape(dims ...int) Option {
	return opt("input_shape", func(c *config) error {
		if err := checkDims(dims); err != nil {
			return err
		}
		c.inputShape = tensor.Shape(dims).Clone()
		return nil
	})
}

// WithActivation applies an activation by Keras name to the layer's output:
// linear, relu, leaky_relu (slope 0.2, as keras.activations), sigmoid, tanh,
// softmax, gelu (the exact erf form, Keras's approximate=False), silu (or
// swish; saved as silu), elu (alpha 1), selu, softplus.
func WithActivation(name string) Option {
	return opt("activation", func(c *config) error {
		if _, err := tensor.ParseActFn(name); err != nil {
			return err
		}
		c.activation = name
		return nil
	})
}

// WithUseBias turns the layer's bias on or off (default on).
func WithUseBias(use bool) Option {
	return opt("use_bias", func(c *config) error { c.useBias = &use; return nil })
}

// WithStrides sets the window's step: one value for both axes, or height
// and width.
func WithStrides(s ...int) Option {
	return opt("strides", func(c *config) error {
		v, err := pair("strides", s)
		c.strides = v
		return err
	})
}

// WithPadding sets "valid" (default) or "same" padding.
func WithPadding(p string) Option {
	return opt("padding", func(c *config) error {
		v, err := tensor.ParsePadding(p)
		c.padding = v
		return err
	})
}

// WithKernelSize sets a convolution window of height×width, for windows
// that are not square.
func WithKernelSize(hw ...int) Option {
	return opt("kernel_size", func(c *config) error {
		v, err := pair("kernel_size", hw)
		c.kernelSize = v
		return err
	})
}

// WithPoolSize sets a pooling window (default 2×2).
func WithPoolSize(hw ...int) Option {
	return opt("pool_size", func(c *config) error {
		v, err := pair("pool_size", hw)
		c.poolSize = v
		return err
	})
}

// WithKernelInitializer names the initializer of the kernel (default
// glorot_uniform).
func WithKernelInitializer(name string) Option {
	return opt("kernel_initializer", func(c *config) error {
		_, err := initializerByName(name)
		c.kernelInitializer = name
		return err
	})
}

// WithBiasInitializer names the initializer of the bias (default zeros).
func WithBiasInitializer(name string) Option {
	return opt("bias_initializer", func(c *config) error {
		_, err := initializerByName(name)
		c.biasInitializer = name
		return err
	})
}

// WithMomentum sets BatchNormalization's moving-average momentum (default 0.99).
func WithMomentum(m float32) Option {
	return opt("momentum", func(c *config) error {
		if m < 0 || m >= 1 {
			return fmt.Errorf("momentum %v must be in [0, 1)", m)
		}
		c.momentum = m
		return nil
	})
}

// WithEpsilon sets BatchNormalization's epsilon (default 1e-3).
func WithEpsilon(eps float32) Option {
	return opt("epsilon", func(c *config) error {
		if eps <= 0 {
			return fmt.Errorf("epsilon %v must be positive", eps)
		}
		c.epsilon = eps
		return nil
	})
}

// WithNegativeSlope sets LeakyReLU's slope for negative inputs (Keras 3's
// negative_slope, Keras 2's alpha; default 0.3).
func WithNegativeSlope(a float32) Option {
	return opt("negative_slope", func(c *config) error {
		if a < 0 {
			return fmt.Errorf("negative slope %v must not be negative", a)
		}
		c.alpha = a
		return nil
	})
}

func pair(what string, v []int) ([2]int, error) {
	switch {
	case len(v) == 1 && v[0] > 0:
		return [2]int{v[0], v[0]}, nil
	case len(v) == 2 && v[0] > 0 && v[1] > 0:
		return [2]int{v[0], v[1]}, nil
	}
	return [2]int{}, fmt.Errorf("%s %v: give one positive value or two (height, width)", what, v)
}

func checkDims(dims []int) error {
	if len(dims) == 0 {
		return fmt.Errorf("a shape needs at least one dimension")
	}
	for _, d := range dims {
		if d <= 0 {
			return fmt.Errorf("shape %v: every dimension must be positive", dims)
		}
	}
	return nil
}

// parseOptions applies opts, rejecting any key not in allowed.
func parseOptions(class string, allowed []string, opts []Option) (config, error) {
	c := config{set: map[string]bool{}, strides: [2]int{1, 1}, padding: tensor.Valid}
	ok := map[string]bool{"name": true, "input_shape": true, "dtype": true}
	for _, k := range allowed {
		ok[k] = true
	}
	for _, o := range opts {
		if !ok[o.key] {
			return c, fmt.Errorf("%s does not take %s", class, o.key)
		}
		if err := o.apply(&c); err != nil {
			return c, fmt.Errorf("%s %s: %w", class, o.key, err)
		}
		c.set[o.key] = true
	}
	return c, nil
}
