package nn

import "github.com/anvil-ml/anvil/format/kerasjson"

// Keras configs of the augmentation and preprocessing layers, with the
// keys Keras 3's get_config writes. "seed" is read and dropped: Anvil's
// augmentation draws from the Fit seed, as its Dropout does.

// getConfig writes the random layers' Keras configs.
func (l *augmentLayer) getConfig() object {
	a := l.cfg.aug
	switch l.class {
	case "RandomFlip":
		return object{{"seed", nil}, {"mode", l.mode}, {"data_format", "channels_last"}}
	case "RandomCrop":
		return object{{"height", l.cropH}, {"width", l.cropW}, {"seed", nil}, {"data_format", "channels_last"}}
	case "RandomContrast":
		return object{{"factor", l.height.json()}, {"value_range", []float32{a.valueRange[0], a.valueRange[1]}},
			{"seed", nil}}
	}
	var width any
	if l.width != nil {
		width = l.width.json()
	}
	return object{{"height_factor", l.height.json()}, {"width_factor", width},
		{"fill_mode", fillModes[a.fill]}, {"interpolation", interpolations[a.interp]}, {"seed", nil},
		{"fill_value", a.fillValue}, {"data_format", "channels_last"}}
}

// getConfig writes Rescaling's Keras config.
func (l *rescalingLayer) getConfig() object {
	return object{{"scale", l.scale}, {"offset", l.cfg.aug.offset}}
}

// getConfig writes Normalization's Keras config: mean and variance only
// when given to the constructor (adapted values are weights).
func (l *NormalizationLayer) getConfig() object {
	var mean, variance any
	if a := l.cfg.aug; a.mean != nil {
		mean, variance = a.mean, a.variance
	}
	return object{{"axis", []int{-1}}, {"invert", false}, {"mean", mean}, {"variance", variance}}
}

// factor reads a Keras factor: a number or a (lower, upper) list.
func (c *layerCfg) factor(key string) Factor {
	v, ok := c.Take(key)
	if !ok {
		return nil
	}
	if f, err := kerasjson.ToFloat32(v); err == nil {
		return Factor{f}
	}
	l, isList := v.([]any)
	if isList && len(l) == 2 {
		lo, err1 := kerasjson.ToFloat32(l[0])
		hi, err2 := kerasjson.ToFloat32(l[1])
		if err1 == nil && err2 == nil {
			return Factor{lo, hi}
		}
	}
	c.Fail(key, "want a number or a (lower, upper) pair, got %s", kerasjson.Compact(v))
	return nil
}

// floats reads a number or a list of numbers (Normalization's mean).
func (c *layerCfg) floats(key string) []float32 {
	v, ok := c.Take(key)
	if !ok {
		return nil
	}
	if f, err := kerasjson.ToFloat32(v); err == nil {
		return []float32{f}
	}
	l, _ := v.([]any)
	out := make([]float32, len(l))
	for i, e := range l {
		f, err := kerasjson.ToFloat32(e)
		if err != nil {
			c.Fail(key, "want a number or a list of numbers, got %s", kerasjson.Compact(v))
			return nil
		}
		out[i] = f
	}
	if len(out) == 0 {
		c.Fail(key, "want a number or a list of numbers, got %s", kerasjson.Compact(v))
	}
	return out
}

// fillAndInterpolation reads what RandomTranslation and RandomZoom share.
func (c *layerCfg) fillAndInterpolation() {
	c.Take("seed")
	c.channelsLast()
	c.add(WithFillMode(c.String("fill_mode", "reflect")), WithInterpolation(c.String("interpolation", "bilinear")),
		WithFillValue(c.Number("fill_value", 0)))
}

func randomFlipFromConfig(c *layerCfg) Layer {
	c.Take("seed")
	c.channelsLast()
	return RandomFlip(c.String("mode", "horizontal_and_vertical"), c.opts...)
}

func randomTranslationFromConfig(c *layerCfg) Layer {
	h, w := c.factor("height_factor"), c.factor("width_factor")
	c.fillAndInterpolation()
	return RandomTranslation(h, w, c.opts...)
}

func randomZoomFromConfig(c *layerCfg) Layer {
	h := c.factor("height_factor")
	if w := c.factor("width_factor"); w != nil {
		c.add(WithWidthFactor(w))
	}
	c.fillAndInterpolation()
	return RandomZoom(h, c.opts...)
}

func randomCropFromConfig(c *layerCfg) Layer {
	c.Take("seed")
	c.channelsLast()
	return RandomCrop(c.Int("height", 0), c.Int("width", 0), c.opts...)
}

func randomContrastFromConfig(c *layerCfg) Layer {
	f := c.factor("factor")
	c.Take("seed")
	if r := c.floats("value_range"); r != nil {
		if len(r) != 2 {
			c.Fail("value_range", "want (low, high), got %v", r)
		} else {
			c.add(WithValueRange(r[0], r[1]))
		}
	}
	return RandomContrast(f, c.opts...)
}

func rescalingFromConfig(c *layerCfg) Layer {
	scale := c.Number("scale", 1)
	c.add(WithOffset(c.Number("offset", 0)))
	return Rescaling(scale, c.opts...)
}

func normalizationFromConfig(c *layerCfg) Layer {
	c.Axis("axis")
	c.Require("invert", "false")
	mean, variance := c.floats("mean"), c.floats("variance")
	if (mean == nil) != (variance == nil) {
		c.Fail("mean", "give both mean and variance, or neither")
	} else if mean != nil {
		c.add(WithMeanVariance(mean, variance))
	}
	return Normalization(c.opts...)
}
