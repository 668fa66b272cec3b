package nn

import "fmt"

// convConfig holds the keyword arguments only the depthwise, separable and
// transposed convolutions take.
type convConfig struct {
	depthMultiplier int    // 0: Keras's default, 1
	dilation        [2]int // zero: Keras's default, 1×1
	depthwiseInit   string // "": glorot_uniform
	pointwiseInit   string // "": glorot_uniform
}

// multiplier is the depth multiplier, 1 when unset.
func (c convConfig) multiplier() int { return max(c.depthMultiplier, 1) }

// dilationRate is the dilation, 1×1 when unset.
func (c convConfig) dilationRate() [2]int {
	if c.dilation == [2]int{} {
		return [2]int{1, 1}
	}
	return c.dilation
}

// WithDepthMultiplier sets how many filters DepthwiseConv2D and
// SeparableConv2D apply to each input channel (Keras's depth_multiplier,
// default 1).
func WithDepthMultiplier(n int) Option {
	return opt("depth_multiplier", func(c *config) error {
		if n <= 0 {
			return fmt.Errorf("depth multiplier %d must be positive", n)
		}
		c.conv.depthMultiplier = n
		return nil
	})
}

// WithDilationRate spaces a window's taps: one value for both axes, or
// height and width (Keras's dilation_rate, default 1). DepthwiseConv2D and
// SeparableConv2D take it; as in TensorFlow, a dilation above 1 needs
// strides of 1.
func WithDilationRate(d ...int) Option {
	return opt("dilation_rate", func(c *config) error {
		v, err := pair("dilation_rate", d)
		c.conv.dilation = v
		return err
	})
}

// WithDepthwiseInitializer names the initializer of a depthwise kernel
// (default glorot_uniform).
func WithDepthwiseInitializer(name string) Option {
	return opt("depthwise_initializer", func(c *config) error {
		_, err := initializerByName(name)
		c.conv.depthwiseInit = name
		return err
	})
}

// WithPointwiseInitializer names the initializer of SeparableConv2D's
// pointwise kernel (default glorot_uniform).
func WithPointwiseInitializer(name string) Option {
	return opt("pointwise_initializer", func(c *config) error {
		_, err := initializerByName(name)
		c.conv.pointwiseInit = name
		return err
	})
}

// checkDilation rejects what TensorFlow rejects: a dilation above 1 with a
// stride above 1.
func (c *config) checkDilation() error {
	d, s := c.conv.dilationRate(), c.strides
	if (d[0] > 1 || d[1] > 1) && (s[0] > 1 || s[1] > 1) {
		return fmt.Errorf("strides %v with dilation_rate %v: a dilation above 1 needs strides of 1, as in Keras", s, d)
	}
	return nil
}

// windowFrom sets a square window of size k unless WithKernelSize gave
// one (which checks its own sizes), and checks the window and the
// dilation.
func (c *config) windowFrom(k int) error {
	if !c.set["kernel_size"] {
		if k <= 0 {
			return fmt.Errorf("kernel size %d must be positive", k)
		}
		c.kernelSize = [2]int{k, k}
	}
	return c.checkDilation()
}

// firstNonNil returns the first non-nil error.
func firstNonNil(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}
