package nn

import (
	"fmt"
	"math"

	"github.com/anvil-ml/anvil/tensor"
)

// Factor is a Keras augmentation factor: one number f, the range [−f, f]
// (RandomContrast: [1−f, 1+f]), or a (lower, upper) pair, e.g.
// Factor{0.1} or Factor{-0.2, 0.3}.
type Factor []float32

// bounds returns the factor's range as Keras reads it: a single number's
// magnitude f gives [−f, f] (negate) or [f, f], and a pair is sorted.
func (f Factor) bounds(negate bool) (lo, hi float32, err error) {
	switch {
	case len(f) == 1 && negate:
		a := float32(math.Abs(float64(f[0])))
		return -a, a, nil
	case len(f) == 1:
		return f[0], f[0], nil
	case len(f) == 2:
		return min(f[0], f[1]), max(f[0], f[1]), nil
	}
	return 0, 0, fmt.Errorf("factor %v must be one number or a (lower, upper) pair", []float32(f))
}

// json is the factor as Keras writes it: a number or a two-element list.
func (f Factor) json() any {
	if len(f) == 1 {
		return f[0]
	}
	return []float32(f)
}

// augmentConfig holds the options of the augmentation and preprocessing
// layers.
type augmentConfig struct {
	fill           tensor.FillMode
	interp         tensor.Interpolation
	fillValue      float32
	widthFactor    Factor
	valueRange     [2]float32
	offset         float32
	mean, variance []float32
}

// fillModes and interpolations are Keras's names.
var (
	fillModes      = []string{"reflect", "constant", "nearest", "wrap", "mirror"}
	interpolations = []string{"bilinear", "nearest"}
)

// indexOf finds name in names, for the option parsers.
func indexOf(what, name string, names []string) (int, error) {
	for i, n := range names {
		if n == name {
			return i, nil
		}
	}
	return 0, fmt.Errorf("%s %q is not one of %q", what, name, names)
}

// WithFillMode sets how RandomTranslation and RandomZoom fill points
// outside the image: "reflect" (Keras's default), "constant", "nearest",
// "wrap" or "mirror".
func WithFillMode(mode string) Option {
	return opt("fill_mode", func(c *config) error {
		i, err := indexOf("fill_mode", mode, fillModes)
		c.aug.fill = tensor.FillMode(i)
		return err
	})
}

// WithInterpolation sets how RandomTranslation and RandomZoom read between
// pixels: "bilinear" (Keras's default) or "nearest".
func WithInterpolation(name string) Option {
	return opt("interpolation", func(c *config) error {
		i, err := indexOf("interpolation", name, interpolations)
		c.aug.interp = tensor.Interpolation(i)
		return err
	})
}

// WithFillValue sets the value fill_mode "constant" reads outside the
// image (default 0).
func WithFillValue(v float32) Option {
	return opt("fill_value", func(c *config) error {
		c.aug.fillValue = v
		return nil
	})
}

// WithWidthFactor gives RandomZoom its own horizontal zoom range; without
// it the width is zoomed by the height's factor (the aspect is kept).
func WithWidthFactor(f Factor) Option {
	return opt("width_factor", func(c *config) error {
		c.aug.widthFactor = f
		_, _, err := f.bounds(true)
		return err
	})
}

// WithValueRange sets RandomContrast's value_range, the range its outputs
// are clipped to (default [0, 255]).
func WithValueRange(lo, hi float32) Option {
	return opt("value_range", func(c *config) error {
		c.aug.valueRange = [2]float32{lo, hi}
		if !(lo <= hi) {
			return fmt.Errorf("value range [%v, %v] must be ordered", lo, hi)
		}
		return nil
	})
}

// WithOffset sets Rescaling's offset (default 0).
func WithOffset(v float32) Option {
	return opt("offset", func(c *config) error {
		c.aug.offset = v
		return nil
	})
}

// WithMeanVariance gives Normalization its mean and variance, one value
// each or one per channel, instead of computing them with Adapt.
func WithMeanVariance(mean, variance []float32) Option {
	return opt("mean", func(c *config) error {
		if len(mean) == 0 || len(mean) != len(variance) {
			return fmt.Errorf("mean (%d values) and variance (%d values) must be equally long and not empty", len(mean), len(variance))
		}
		for _, v := range variance {
			if !(v >= 0) {
				return fmt.Errorf("variance %v must not be negative", v)
			}
		}
		c.aug.mean, c.aug.variance = append([]float32(nil), mean...), append([]float32(nil), variance...)
		return nil
	})
}
