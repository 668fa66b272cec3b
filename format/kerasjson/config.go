package kerasjson

import (
	"fmt"
	"sort"
	"strings"
)

// Config reads one layer's Keras config. Every accessor marks its key as
// used and records the first error, so a layer's import reads as a flat
// list of keys; Done then rejects every key nobody read unless its value
// is null or false (Keras's way of saying a feature is off). That rule lets
// files from newer Keras versions load while a setting Anvil cannot honour
// (a regularizer, a constraint) is an error, never silently dropped.
type Config struct {
	Class, Name string
	Vals        map[string]any // decoded with json.Number
	used        map[string]bool
	axes        map[string]any
	err         error
	// Policy is the layer's dtype policy (PolicyFloat32 or
	// PolicyMixedFloat16), "" when the config names none.
	Policy string
}

// NewConfig starts reading the config vals of the layer name of class
// class, and reads the keys every Keras layer has.
func NewConfig(class, name string, vals map[string]any) *Config {
	c := &Config{Class: class, Name: name, Vals: vals, used: map[string]bool{}, axes: map[string]any{}}
	c.common()
	return c
}

// Err is the first error recorded so far.
func (c *Config) Err() error { return c.err }

// Fail records the first error, naming the layer and the key.
func (c *Config) Fail(key, format string, args ...any) {
	if c.err == nil {
		c.err = fmt.Errorf("layer %q (%s): config %q: %s", c.Name, c.Class, key, fmt.Sprintf(format, args...))
	}
}

// Take returns a key's value and whether it is present and not null.
func (c *Config) Take(key string) (any, bool) {
	c.used[key] = true
	v, ok := c.Vals[key]
	return v, ok && v != nil
}

// common reads the keys every Keras layer has.
func (c *Config) common() {
	c.Take("name") // the entry's name wins; Keras writes the same one here
	if v, ok := c.Take("trainable"); ok && v != true {
		c.Fail("trainable", "frozen layers (trainable: false) are not supported: set it to true")
	}
	if v, ok := c.Take("dtype"); ok {
		p, err := DTypePolicy(v)
		if err != nil {
			c.Fail("dtype", "%v", err)
		}
		c.Policy = p
	}
	// Shapes on a non-first layer are Keras's build records; the model's
	// InputLayer or first layer decides the input shape.
	c.Take("batch_input_shape")
	c.Take("batch_shape")
	c.Take("input_dim")
}

// Number reads a number as float32 (Keras writes Python floats; parsing
// at 32 bits gives back exactly the float32 that was saved).
func (c *Config) Number(key string, def float32) float32 {
	v, ok := c.Take(key)
	if !ok {
		return def
	}
	f, err := ToFloat32(v)
	if err != nil {
		c.Fail(key, "%v", err)
	}
	return f
}

// Int reads a whole number; a missing key gives def.
func (c *Config) Int(key string, def int) int {
	v, ok := c.Take(key)
	if !ok {
		return def
	}
	n, err := ToInt(v)
	if err != nil {
		c.Fail(key, "%v", err)
	}
	return n
}

// String reads a string; a missing key gives def.
func (c *Config) String(key, def string) string {
	v, ok := c.Take(key)
	if !ok {
		return def
	}
	s, isStr := v.(string)
	if !isStr {
		c.Fail(key, "want a string, got %s", Compact(v))
	}
	return s
}

// Bool reads true or false; a missing key gives def.
func (c *Config) Bool(key string, def bool) bool {
	v, ok := c.Take(key)
	if !ok {
		return def
	}
	b, isBool := v.(bool)
	if !isBool {
		c.Fail(key, "want true or false, got %s", Compact(v))
	}
	return b
}

// Pair reads a window or stride: one number or a two-element list.
func (c *Config) Pair(key string, def [2]int) [2]int {
	v, ok := c.Take(key)
	if !ok {
		return def
	}
	if n, err := ToInt(v); err == nil {
		return [2]int{n, n}
	}
	ns, err := ToInts(v)
	if err != nil || len(ns) != 2 {
		c.Fail(key, "want one number or two (height, width), got %s", Compact(v))
		return def
	}
	return [2]int{ns[0], ns[1]}
}

// Require fails unless the key is absent, null, or one of the values
// Anvil implements (compared as compact JSON).
func (c *Config) Require(key string, allowed ...string) {
	v, ok := c.Take(key)
	if !ok {
		return
	}
	got := Compact(v)
	for _, a := range allowed {
		if got == a {
			return
		}
	}
	supported := "null"
	if len(allowed) > 0 {
		supported = strings.Join(allowed, " or ")
	}
	c.Fail(key, "%s is not supported (Anvil supports only %s): change the model", got, supported)
}

// Axis records an axis setting, checked once the input's rank is known.
func (c *Config) Axis(key string) {
	if v, ok := c.Take(key); ok {
		c.axes[key] = v
	}
}

// CheckAxes accepts only the last axis of a sample of the given rank
// (without the batch): -1, rank, or a one-element list of either.
func (c *Config) CheckAxes(rank int) error {
	for key, v := range c.axes {
		if l, ok := v.([]any); ok && len(l) == 1 {
			v = l[0]
		}
		n, err := ToInt(v)
		if err != nil || (n != -1 && n != rank) {
			return fmt.Errorf("layer %q (%s): config %q: %s is not supported; Anvil works on the last axis only (-1 or %d)",
				c.Name, c.Class, key, Compact(c.axes[key]), rank)
		}
	}
	return nil
}

// Done reports the first error, or a key that was set but not read.
func (c *Config) Done() error {
	if c.err != nil {
		return c.err
	}
	keys := make([]string, 0, len(c.Vals))
	for k := range c.Vals {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		v := c.Vals[k]
		if !c.used[k] && v != nil && v != false {
			return fmt.Errorf("layer %q (%s): config %q = %s is not supported by Anvil: remove it from the model",
				c.Name, c.Class, k, Compact(v))
		}
	}
	return nil
}
