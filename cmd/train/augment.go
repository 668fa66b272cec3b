package main

import (
	"flag"
	"fmt"
	"strconv"
	"strings"

	"github.com/anvil-ml/anvil/nn"
)

// addAugmentFlag registers -augment.
func addAugmentFlag(fs *flag.FlagSet, o *options) {
	fs.StringVar(&o.augment, "augment", "", "with a built-in image model: random augmentation in front of it, active only while training, "+
		"as a comma-separated list in the order applied: flip (horizontal; or flip=vertical, flip=horizontal_and_vertical), "+
		"translate=F (shift by up to F of the height and width), zoom=F (zoom in or out by up to F), contrast=F "+
		"(contrast factor in [1-F, 1+F]), e.g. -augment flip,translate=0.1,zoom=0.1")
}

// augmentLayers parses -augment into Keras layers for images with values
// in [0, 1].
func augmentLayers(spec string) ([]nn.Layer, error) {
	var out []nn.Layer
	for _, item := range strings.Split(spec, ",") {
		name, val, hasVal := strings.Cut(strings.TrimSpace(item), "=")
		if name == "flip" {
			mode := "horizontal"
			if hasVal {
				mode = val
			}
			if !oneOf(mode, "horizontal", "vertical", "horizontal_and_vertical") {
				return nil, fmt.Errorf("-augment %q: flip=%s: use horizontal, vertical or horizontal_and_vertical", spec, mode)
			}
			out = append(out, nn.RandomFlip(mode))
			continue
		}
		f, err := strconv.ParseFloat(val, 32)
		if !hasVal || err != nil || !(f > 0 && f <= 1) {
			return nil, fmt.Errorf("-augment %q: %q wants a factor in (0, 1], e.g. %s=0.1", spec, item, name)
		}
		fac := nn.Factor{float32(f)}
		switch name {
		case "translate":
			out = append(out, nn.RandomTranslation(fac, fac))
		case "zoom":
			out = append(out, nn.RandomZoom(fac))
		case "contrast":
			out = append(out, nn.RandomContrast(fac, nn.WithValueRange(0, 1)))
		default:
			return nil, fmt.Errorf("-augment %q: unknown %q; use flip, translate=F, zoom=F or contrast=F", spec, name)
		}
	}
	return out, nil
}

// validateAugment rejects a bad -augment before any data is loaded.
func (o *options) validateAugment() error {
	if o.augment == "" {
		return nil
	}
	if isModelPath(o.model) || oneOf(o.model, "linreg", "mlp") {
		return fmt.Errorf("-augment works with the built-in image models (fnn, simple-cnn, cnn), not -model %s", o.model)
	}
	_, err := augmentLayers(o.augment)
	return err
}

// withAugmentation puts -augment's layers in front of a built model.
func withAugmentation(m *nn.Model, spec string) (*nn.Model, error) {
	if spec == "" {
		return m, nil
	}
	layers, err := augmentLayers(spec)
	if err != nil {
		return nil, err
	}
	return nn.Prepend(m, layers...)
}
