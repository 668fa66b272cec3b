package nn

import (
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// layerCfg reads one layer's Keras config. Every accessor marks its key as
// used and records the first error, so a layer's import reads as a flat
// list of keys; done then rejects every key nobody read unless its value
// is null or false (Keras's way of saying a feature is off). That rule lets
// files from newer Keras versions load while a setting Anvil cannot honour
// (a regularizer, a constraint) is an error, never silently dropped.
type layerCfg struct {
	class, name string
	vals        map[string]any // decoded with json.Number
	used        map[string]bool
	opts        []Option // options collected for the layer's constructor
	axes        map[string]any
	err         error
}

func newLayerCfg(class, name string, vals map[string]any) *layerCfg {
	c := &layerCfg{class: class, name: name, vals: vals, used: map[string]bool{}, axes: map[string]any{}}
	c.opts = append(c.opts, WithName(name))
	c.common()
	return c
}

// fail records the first error, naming the layer and the key.
func (c *layerCfg) fail(key, format string, args ...any) {
	if c.err == nil {
		c.err = fmt.Errorf("layer %q (%s): config %q: %s", c.name, c.class, key, fmt.Sprintf(format, args...))
	}
}

// take returns a key's value and whether it is present and not null.
func (c *layerCfg) take(key string) (any, bool) {
	c.used[key] = true
	v, ok := c.vals[key]
	return v, ok && v != nil
}

// common reads the keys every Keras layer has.
func (c *layerCfg) common() {
	c.take("name") // the entry's name wins; Keras writes the same one here
	if v, ok := c.take("trainable"); ok && v != true {
		c.fail("trainable", "frozen layers (trainable: false) are not supported: set it to true")
	}
	if v, ok := c.take("dtype"); ok && !isFloat32Policy(v) {
		c.fail("dtype", "%s is not supported; Anvil computes in float32", compact(v))
	}
	// Shapes on a non-first layer are Keras's build records; the model's
	// InputLayer or first layer decides the input shape.
	c.take("batch_input_shape")
	c.take("batch_shape")
	c.take("input_dim")
}

// isFloat32Policy accepts "float32" and Keras 3's DTypePolicy object.
func isFloat32Policy(v any) bool {
	if s, ok := v.(string); ok {
		return s == "float32"
	}
	m, ok := v.(map[string]any)
	if !ok {
		return false
	}
	cfg, _ := m["config"].(map[string]any)
	return cfg != nil && cfg["name"] == "float32"
}

// number reads a number as float32 (Keras writes Python floats; parsing
// at 32 bits gives back exactly the float32 that was saved).
func (c *layerCfg) number(key string, def float32) float32 {
	v, ok := c.take(key)
	if !ok {
		return def
	}
	f, err := toFloat32(v)
	if err != nil {
		c.fail(key, "%v", err)
	}
	return f
}

// integer reads a whole number; a missing key gives def.
func (c *layerCfg) integer(key string, def int) int {
	v, ok := c.take(key)
	if !ok {
		return def
	}
	n, err := toInt(v)
	if err != nil {
		c.fail(key, "%v", err)
	}
	return n
}

// str reads a string; a missing key gives def.
func (c *layerCfg) str(key, def string) string {
	v, ok := c.take(key)
	if !ok {
		return def
	}
	s, isStr := v.(string)
	if !isStr {
		c.fail(key, "want a string, got %s", compact(v))
	}
	return s
}

// boolean reads true or false; a missing key gives def.
func (c *layerCfg) boolean(key string, def bool) bool {
	v, ok := c.take(key)
	if !ok {
		return def
	}
	b, isBool := v.(bool)
	if !isBool {
		c.fail(key, "want true or false, got %s", compact(v))
	}
	return b
}

// pair reads a window or stride: one number or a two-element list.
func (c *layerCfg) pair(key string, def [2]int) [2]int {
	v, ok := c.take(key)
	if !ok {
		return def
	}
	if n, err := toInt(v); err == nil {
		return [2]int{n, n}
	}
	ns, err := toInts(v)
	if err != nil || len(ns) != 2 {
		c.fail(key, "want one number or two (height, width), got %s", compact(v))
		return def
	}
	return [2]int{ns[0], ns[1]}
}

// require fails unless the key is absent, null, or one of the values
// Anvil implements (compared as compact JSON).
func (c *layerCfg) require(key string, allowed ...string) {
	v, ok := c.take(key)
	if !ok {
		return
	}
	got := compact(v)
	for _, a := range allowed {
		if got == a {
			return
		}
	}
	supported := "null"
	if len(allowed) > 0 {
		supported = strings.Join(allowed, " or ")
	}
	c.fail(key, "%s is not supported (Anvil supports only %s): change the model", got, supported)
}

// axis records an axis setting, checked once the input's rank is known.
func (c *layerCfg) axis(key string) {
	if v, ok := c.take(key); ok {
		c.axes[key] = v
	}
}

// checkAxes accepts only the last axis of a sample of the given rank
// (without the batch): -1, rank, or a one-element list of either.
func (c *layerCfg) checkAxes(rank int) error {
	for key, v := range c.axes {
		if l, ok := v.([]any); ok && len(l) == 1 {
			v = l[0]
		}
		n, err := toInt(v)
		if err != nil || (n != -1 && n != rank) {
			return fmt.Errorf("layer %q (%s): config %q: %s is not supported; Anvil works on the last axis only (-1 or %d)",
				c.name, c.class, key, compact(c.axes[key]), rank)
		}
	}
	return nil
}

// done reports the first error, or a key that was set but not read.
func (c *layerCfg) done() error {
	if c.err != nil {
		return c.err
	}
	keys := make([]string, 0, len(c.vals))
	for k := range c.vals {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		v := c.vals[k]
		if !c.used[k] && v != nil && v != false {
			return fmt.Errorf("layer %q (%s): config %q = %s is not supported by Anvil: remove it from the model",
				c.name, c.class, k, compact(v))
		}
	}
	return nil
}

// compact renders a decoded JSON value for an error message.
func compact(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	if len(b) > 120 {
		return string(b[:117]) + "..."
	}
	return string(b)
}

// maxDim bounds any size read from a file: large enough for any real
// model, small enough that products of a few of them cannot overflow.
const maxDim = 1 << 24

func toInt(v any) (int, error) {
	n, ok := v.(json.Number)
	if !ok {
		return 0, fmt.Errorf("want a whole number, got %s", compact(v))
	}
	i, err := strconv.ParseInt(string(n), 10, 64)
	if err != nil || i < -1 || i > maxDim {
		return 0, fmt.Errorf("want a whole number in -1..%d, got %s", maxDim, n)
	}
	return int(i), nil
}

func toInts(v any) ([]int, error) {
	l, ok := v.([]any)
	if !ok {
		return nil, fmt.Errorf("want a list of numbers, got %s", compact(v))
	}
	out := make([]int, len(l))
	for i, x := range l {
		n, err := toInt(x)
		if err != nil {
			return nil, err
		}
		out[i] = n
	}
	return out, nil
}

func toFloat32(v any) (float32, error) {
	n, ok := v.(json.Number)
	if !ok {
		return 0, fmt.Errorf("want a number, got %s", compact(v))
	}
	f, err := strconv.ParseFloat(string(n), 32)
	if err != nil {
		return 0, fmt.Errorf("want a float32 number, got %s", n)
	}
	return float32(f), nil
}
