package nn

import (
	"fmt"
	"math"

	"github.com/anvil-ml/anvil/tensor"
)

// Clipping holds Keras's gradient clipping settings, which every optimizer
// takes (embedded, so opt.ClipNorm = 1 sets them). Zero means unset. At
// most one may be set, as in Keras:
//   - ClipValue (clipvalue) clamps every gradient element to
//     [−ClipValue, ClipValue];
//   - ClipNorm (clipnorm) scales each variable's gradient to an L2 norm of
//     at most ClipNorm;
//   - GlobalClipNorm (global_clipnorm) scales all gradients by
//     min(1, GlobalClipNorm/N), N the L2 norm of all of them together.
//
// Clipping applies to the gradient of the loss (regularization included),
// after a data-parallel all-reduce, before the update; the norms never
// leave the device.
type Clipping struct {
	ClipNorm, ClipValue, GlobalClipNorm float32
}

func (c Clipping) clipping() Clipping { return c }

// clipConfig adds the settings that are set to an optimizer's config,
// under Keras's names.
func (c Clipping) clipConfig(m map[string]any) map[string]any {
	for _, kv := range []struct {
		key string
		v   float32
	}{{"clipnorm", c.ClipNorm}, {"clipvalue", c.ClipValue}, {"global_clipnorm", c.GlobalClipNorm}} {
		if kv.v != 0 {
			m[kv.key] = kv.v
		}
	}
	return m
}

// check rejects what Keras rejects (more than one setting) and what no run
// can use (a negative or non-finite limit).
func (c Clipping) check() error {
	set := 0
	for _, kv := range []struct {
		key string
		v   float32
	}{{"clipnorm", c.ClipNorm}, {"clipvalue", c.ClipValue}, {"global_clipnorm", c.GlobalClipNorm}} {
		if f := float64(kv.v); !(f >= 0) || math.IsInf(f, 0) {
			return fmt.Errorf("%s %v must be a positive finite number (or 0 for none)", kv.key, kv.v)
		}
		if kv.v != 0 {
			set++
		}
	}
	if set > 1 {
		return fmt.Errorf("only one of clipnorm, clipvalue and global_clipnorm can be set, got clipnorm=%v, clipvalue=%v, global_clipnorm=%v: keep one",
			c.ClipNorm, c.ClipValue, c.GlobalClipNorm)
	}
	return nil
}

// mode is the clipping rule and its limit; ok is false when none is set.
func (c Clipping) mode() (mode tensor.ClipMode, limit float32, ok bool) {
	switch {
	case c.ClipNorm != 0:
		return tensor.ClipByNorm, c.ClipNorm, true
	case c.GlobalClipNorm != 0:
		return tensor.ClipByGlobalNorm, c.GlobalClipNorm, true
	case c.ClipValue != 0:
		return tensor.ClipByValue, c.ClipValue, true
	}
	return 0, 0, false
}

// clippingFromJSON reads the optional clipping settings of a saved
// optimizer config (absent or null: unset).
func clippingFromJSON(r *settings) Clipping {
	return Clipping{ClipNorm: r.optF32("clipnorm"), ClipValue: r.optF32("clipvalue"), GlobalClipNorm: r.optF32("global_clipnorm")}
}

// optF32 reads an optional number: 0 when the key is absent or null.
func (s *settings) optF32(key string) float32 {
	if v, ok := s.vals[key]; !ok || v == nil {
		s.used[key] = true
		return 0
	}
	return s.f32(key)
}

// emitClipping clips the gradients of vars in place by c's rule: for the
// norm rules, each gradient's sum of squares goes to one value of a norms
// buffer first.
func (e *emitter) emitClipping(c Clipping, vars []*Variable) {
	mode, limit, ok := c.mode()
	if !ok || len(vars) == 0 {
		return
	}
	norms := tensor.NoBuffer
	if mode != tensor.ClipByValue {
		norms = e.buffer("clip:norms", tensor.GradientBuffer, false, tensor.Shape{len(vars)})
		for i, v := range vars {
			e.emit(tensor.SumSquares{X: e.gradOf(v), Size: v.Shape.Size(), Out: norms, Index: i, Count: len(vars)})
		}
	}
	for i, v := range vars {
		e.emit(tensor.ClipGradient{Grad: e.gradOf(v), Size: v.Shape.Size(), Mode: mode, Limit: limit, Norms: norms,
			Index: i, Count: len(vars)})
	}
}

// trainableVariables lists the variables the optimizer updates, in the
// order their updates run.
func (m *Model) trainableVariables() []*Variable {
	var out []*Variable
	for _, v := range m.Variables() {
		if v.Trainable {
			out = append(out, v)
		}
	}
	return out
}

// SetClipping gives opt the gradient clipping c: every optimizer of this
// package embeds Clipping, and this sets it whichever opt is (a command
// line flag sets it this way). Compile checks the settings.
func SetClipping(opt Optimizer, c Clipping) {
	switch o := opt.(type) {
	case *SGDOptimizer:
		o.Clipping = c
	case *AdamOptimizer:
		o.Clipping = c
	case *RMSpropOptimizer:
		o.Clipping = c
	case *AdamWOptimizer:
		o.Clipping = c
	case *NadamOptimizer:
		o.Clipping = c
	}
}
