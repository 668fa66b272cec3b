package kerasjson

import (
	"encoding/json"
	"fmt"
)

// InitializerJSON writes an initializer by Anvil name in Keras's
// serialized form, {"class_name": ..., "config": {...}}.
func InitializerJSON(name string) Object {
	var class string
	cfg := Object{}
	switch name {
	case "zeros":
		class = "Zeros"
	case "ones":
		class = "Ones"
	case "random_normal":
		class, cfg = "RandomNormal", Object{{"mean", 0.0}, {"stddev", 0.05}, {"seed", nil}}
	case "random_uniform":
		class, cfg = "RandomUniform", Object{{"minval", -0.05}, {"maxval", 0.05}, {"seed", nil}}
	default: // glorot_uniform, glorot_normal, he_uniform, he_normal
		class, cfg = kerasClass(name), Object{{"seed", nil}}
	}
	return Object{{"class_name", class}, {"config", cfg}}
}

// kerasClass turns snake_case into Keras's class name: he_normal → HeNormal.
func kerasClass(name string) string {
	out := []byte{}
	upper := true
	for i := 0; i < len(name); i++ {
		switch ch := name[i]; {
		case ch == '_':
			upper = true
		case upper && ch >= 'a' && ch <= 'z':
			out, upper = append(out, ch-'a'+'A'), false
		default:
			out, upper = append(out, ch), false
		}
	}
	return string(out)
}

// ParseInitializer reads an initializer and returns its Anvil name. It
// accepts Keras's string form ("glorot_uniform"), its class form
// ({"class_name": "GlorotUniform", ...}) and Keras 2.0's VarianceScaling
// spelling of the Glorot and He initializers. Seeds are ignored: Anvil
// draws initial weights from its own seeded streams. known reports whether
// Anvil implements a name (an error saying which it has, if not).
func ParseInitializer(v any, known func(name string) error) (string, error) {
	if s, ok := v.(string); ok {
		return s, known(s)
	}
	return initializerFromClass(v, known)
}

// initializerFromClass reads the {class_name, config} form.
func initializerFromClass(v any, known func(name string) error) (string, error) {
	m, ok := v.(map[string]any)
	if !ok {
		return "", fmt.Errorf("want an initializer name or {class_name, config}, got %s", Compact(v))
	}
	class, _ := m["class_name"].(string)
	cfg, _ := m["config"].(map[string]any)
	if cfg == nil {
		cfg = map[string]any{}
	}
	delete(cfg, "seed")
	switch class {
	case "VarianceScaling":
		return varianceScaling(cfg)
	case "RandomNormal":
		return "random_normal", wantConfig(class, cfg, map[string]string{"mean": "0", "stddev": "0.05"})
	case "RandomUniform":
		return "random_uniform", wantConfig(class, cfg, map[string]string{"minval": "-0.05", "maxval": "0.05"})
	}
	name := SnakeCase(class)
	if err := known(name); err != nil {
		return "", fmt.Errorf("initializer %q is not supported (Anvil has GlorotUniform, GlorotNormal, HeUniform, HeNormal, Zeros, Ones, RandomNormal, RandomUniform)", class)
	}
	return name, wantConfig(class, cfg, nil)
}

// varianceScaling maps the VarianceScaling settings that are Glorot or He
// initializers to their names.
func varianceScaling(cfg map[string]any) (string, error) {
	scale, _ := ToFloat32(cfg["scale"])
	mode, _ := cfg["mode"].(string)
	dist, _ := cfg["distribution"].(string)
	normal := dist == "normal" || dist == "truncated_normal" // Keras 2.0's "normal" was truncated
	switch {
	case scale == 1 && mode == "fan_avg" && dist == "uniform":
		return "glorot_uniform", nil
	case scale == 1 && mode == "fan_avg" && normal:
		return "glorot_normal", nil
	case scale == 2 && mode == "fan_in" && dist == "uniform":
		return "he_uniform", nil
	case scale == 2 && mode == "fan_in" && normal:
		return "he_normal", nil
	}
	return "", fmt.Errorf("VarianceScaling %s is not supported: Anvil has the Glorot (scale 1, fan_avg) and He (scale 2, fan_in) forms", Compact(cfg))
}

// wantConfig checks an initializer's numeric settings against the only
// values Anvil implements; any other setting is an error.
func wantConfig(class string, cfg map[string]any, want map[string]string) error {
	for k, v := range cfg {
		w, known := want[k]
		if v == nil && !known {
			continue
		}
		f, err := ToFloat32(v)
		wf, _ := ToFloat32(json.Number(w))
		if !known || err != nil || f != wf {
			return fmt.Errorf("%s with %s = %s is not supported (Anvil implements %s with its Keras defaults)", class, k, Compact(v), class)
		}
	}
	return nil
}
