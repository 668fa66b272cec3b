package nn

import (
	"fmt"
	"math"

	"github.com/anvil-ml/anvil/format/kerasjson"
	"github.com/anvil-ml/anvil/tensor"
)

// Regularizer is a Keras weight regularizer: it adds the penalty
// L1·Σ|w| + L2·Σw² of a layer's kernel to the loss of every batch (so to
// the loss Fit and Evaluate report) and its gradient, L1·sign(w) + 2·L2·w,
// to the kernel's gradient. Make one with L1, L2 or L1L2 and give it to a
// layer with WithKernelRegularizer (WithEmbeddingsRegularizer for an
// Embedding).
type Regularizer struct {
	L1, L2 float32
	class  string // Keras's class: "L1", "L2" or "L1L2"
}

// DefaultRegularization is the factor of Keras's L1() and L2() and of the
// "l1", "l2" and "l1_l2" shorthands: 0.01.
const DefaultRegularization = 0.01

// L1 is Keras's regularizers.L1(l1): penalty l1·Σ|w| (Keras's default l1
// is DefaultRegularization).
func L1(l1 float32) Regularizer { return Regularizer{L1: l1, class: "L1"} }

// L2 is Keras's regularizers.L2(l2): penalty l2·Σw² (Keras's default l2
// is DefaultRegularization).
func L2(l2 float32) Regularizer { return Regularizer{L2: l2, class: "L2"} }

// L1L2 is Keras's regularizers.L1L2(l1, l2): penalty l1·Σ|w| + l2·Σw²
// (Keras's defaults are 0 and 0).
func L1L2(l1, l2 float32) Regularizer { return Regularizer{L1: l1, L2: l2, class: "L1L2"} }

// check rejects what Keras rejects: a negative or non-finite factor.
func (r Regularizer) check() error {
	for _, f := range []struct {
		name string
		v    float32
	}{{"l1", r.L1}, {"l2", r.L2}} {
		if v := float64(f.v); !(v >= 0) || math.IsInf(v, 0) {
			return fmt.Errorf("regularizer %s: %s %v must be a finite number ≥ 0", r.class, f.name, f.v)
		}
	}
	return nil
}

// WithKernelRegularizer adds r's penalty on the layer's kernel to the loss
// (Keras's kernel_regularizer; Dense, Conv1D, Conv2D).
func WithKernelRegularizer(r Regularizer) Option {
	return opt("kernel_regularizer", func(c *config) error { return c.regularize("kernel", r) })
}

// WithEmbeddingsRegularizer adds r's penalty on an Embedding's table to
// the loss (Keras's embeddings_regularizer).
func WithEmbeddingsRegularizer(r Regularizer) Option {
	return opt("embeddings_regularizer", func(c *config) error { return c.regularize("embeddings", r) })
}

// regularize records r for the layer's variable named v.
func (c *config) regularize(v string, r Regularizer) error {
	if r.class == "" {
		r.class = "L1L2" // a Regularizer literal: both factors as given
	}
	if err := r.check(); err != nil {
		return err
	}
	if c.regularizers == nil {
		c.regularizers = map[string]Regularizer{}
	}
	c.regularizers[v] = r
	return nil
}

// regularizerJSON writes the regularizer of a layer's variable v as Keras
// serializes it ({"class_name": "L2", "config": {"l2": 0.01}}), or null.
func (b *layerBase) regularizerJSON(v string) any {
	r, ok := b.cfg.regularizers[v]
	if !ok {
		return nil
	}
	var cfg object
	switch r.class {
	case "L1":
		cfg = object{{"l1", r.L1}}
	case "L2":
		cfg = object{{"l2", r.L2}}
	default:
		cfg = object{{"l1", r.L1}, {"l2", r.L2}}
	}
	return object{{"class_name", r.class}, {"config", cfg}}
}

// regularizer reads a regularizer key: null, a Keras shorthand ("l1",
// "l2", "l1_l2", each with factors 0.01) or {class_name, config} of L1, L2
// or L1L2; ok is false when the key is absent or null.
func (c *layerCfg) regularizer(key string) (r Regularizer, ok bool) {
	v, ok := c.Take(key)
	if !ok {
		return Regularizer{}, false
	}
	r, err := parseRegularizer(v)
	if err != nil {
		c.Fail(key, "%v", err)
		return Regularizer{}, false
	}
	return r, true
}

func parseRegularizer(v any) (Regularizer, error) {
	switch v {
	case "l1":
		return L1(DefaultRegularization), nil
	case "l2":
		return L2(DefaultRegularization), nil
	case "l1_l2":
		return L1L2(DefaultRegularization, DefaultRegularization), nil
	}
	m, ok := v.(map[string]any)
	if !ok {
		return Regularizer{}, fmt.Errorf("want null, \"l1\", \"l2\", \"l1_l2\" or {class_name, config}, got %s", kerasjson.Compact(v))
	}
	class, _ := m["class_name"].(string)
	cfg, _ := m["config"].(map[string]any)
	r := &settings{what: "regularizer " + class, vals: cfg, used: map[string]bool{}}
	if cfg == nil {
		r.vals = map[string]any{}
	}
	var out Regularizer
	switch class {
	case "L1":
		out = L1(r.optDefault("l1", DefaultRegularization))
	case "L2":
		out = L2(r.optDefault("l2", DefaultRegularization))
	case "L1L2":
		out = L1L2(r.optDefault("l1", 0), r.optDefault("l2", 0))
	default:
		return Regularizer{}, fmt.Errorf("regularizer %q is not supported (Anvil has L1, L2 and L1L2)", class)
	}
	if err := r.done(); err != nil {
		return Regularizer{}, err
	}
	return out, out.check()
}

// optDefault reads an optional number: def when the key is absent or null
// (Keras's constructor defaults).
func (s *settings) optDefault(key string, def float32) float32 {
	if v, ok := s.vals[key]; !ok || v == nil {
		s.used[key] = true
		return def
	}
	return s.f32(key)
}

// emitRegularization adds every regularized trainable variable's penalty
// to the loss sum, and in the Train routine its gradient to the variable's.
func (m *Model) emitRegularization(e *emitter, low *lowered) {
	for _, v := range m.trainableVariables() {
		if v.reg == nil {
			continue
		}
		grad := tensor.NoBuffer
		if e.routine == tensor.Train {
			grad = e.gradOf(v)
		}
		e.emit(tensor.Regularize{Param: e.param(v), Grad: grad, LossSum: low.lossSum, Size: v.Shape.Size(),
			L1: v.reg.L1, L2: v.reg.L2})
	}
}
