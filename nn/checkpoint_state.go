package nn

import (
	"fmt"
	"sort"

	"github.com/anvil-ml/anvil/format/checkpoint"
	"github.com/anvil-ml/anvil/format/kerasjson"
	"github.com/anvil-ml/anvil/tensor"
)

// compileJSON is what Compile was given, and the optimizer's step count.
func (m *Model) compileJSON() checkpoint.Compile {
	c := m.compiled
	out := checkpoint.Compile{Optimizer: checkpoint.Optimizer{ClassName: c.opt.Name(), Config: c.opt.Config()}, Loss: c.loss.name,
		Metrics: []string{}, Step: c.step}
	for _, ms := range c.metrics {
		out.Metrics = append(out.Metrics, ms.spec)
	}
	if mp := c.mixed; mp != nil { // the host copy, synced by checkpointFiles
		out.LossScale = &checkpoint.LossScale{Scale: checkpoint.Float(mp.scale[0]), GoodSteps: int(mp.scale[1]), GrowthSteps: mp.growthSteps}
	}
	return out
}

// restoreLossScale compiles a checkpoint's mixed precision back in, with
// the loss scale it had; a checkpoint without one is float32.
func (m *Model) restoreLossScale(ls *checkpoint.LossScale) error {
	if ls == nil {
		return nil
	}
	scale := float32(ls.Scale)
	if !(scale > 0) || float64(scale) != float64(ls.Scale) || ls.GoodSteps < 0 || ls.GoodSteps >= ls.GrowthSteps {
		return fmt.Errorf("loss_scale %+v: want a positive float32 scale and 0 ≤ good_steps < dynamic_growth_steps", *ls)
	}
	if err := WithLossScale(scale, ls.GrowthSteps).apply(m.compiled); err != nil {
		return fmt.Errorf("loss_scale: %w", err)
	}
	m.compiled.mixed.scale[1] = float32(ls.GoodSteps)
	return nil
}

// optimizerFromJSON rebuilds an optimizer with exactly its saved settings.
// Settings are float32 and were written at float32 precision, so parsing
// them back at 32 bits restores the same values bit for bit.
func optimizerFromJSON(o checkpoint.Optimizer) (Optimizer, error) {
	r := &settings{what: "optimizer " + o.ClassName, vals: o.Config, used: map[string]bool{}}
	var opt Optimizer
	lr, sched := r.learningRate()
	switch o.ClassName {
	case "SGD":
		opt = &SGDOptimizer{LR: lr, Momentum: r.f32("momentum"), Nesterov: r.flag("nesterov"), Schedule: sched}
	case "Adam":
		opt = &AdamOptimizer{LR: lr, Beta1: r.f32("beta_1"), Beta2: r.f32("beta_2"), Epsilon: r.f32("epsilon"), Schedule: sched}
	case "RMSprop":
		opt = &RMSpropOptimizer{LR: lr, Rho: r.f32("rho"), Momentum: r.f32("momentum"), Epsilon: r.f32("epsilon"), Schedule: sched}
	case "AdamW":
		opt = &AdamWOptimizer{AdamOptimizer: AdamOptimizer{LR: lr, Beta1: r.f32("beta_1"), Beta2: r.f32("beta_2"),
			Epsilon: r.f32("epsilon"), Schedule: sched}, WeightDecay: r.f32("weight_decay")}
	case "Nadam":
		opt = &NadamOptimizer{LR: lr, Beta1: r.f32("beta_1"), Beta2: r.f32("beta_2"), Epsilon: r.f32("epsilon"), Schedule: sched}
	default:
		return nil, fmt.Errorf("optimizer %q is not one of SGD, Adam, RMSprop, AdamW, Nadam", o.ClassName)
	}
	SetClipping(opt, clippingFromJSON(r))
	return opt, r.done()
}

// settings reads required values from a JSON object, keeping the first
// error and rejecting keys nobody read.
type settings struct {
	what string
	vals map[string]any
	used map[string]bool
	err  error
}

func (s *settings) get(key string) any {
	s.used[key] = true
	v, ok := s.vals[key]
	if !ok && s.err == nil {
		s.err = fmt.Errorf("%s: missing %q", s.what, key)
	}
	return v
}

func (s *settings) f32(key string) float32 {
	f, err := kerasjson.ToFloat32(s.get(key))
	if err != nil && s.err == nil {
		s.err = fmt.Errorf("%s: %q: %w", s.what, key, err)
	}
	return f
}

func (s *settings) flag(key string) bool {
	b, ok := s.get(key).(bool)
	if !ok && s.err == nil {
		s.err = fmt.Errorf("%s: %q must be true or false", s.what, key)
	}
	return b
}

func (s *settings) done() error {
	if s.err != nil {
		return s.err
	}
	keys := make([]string, 0, len(s.vals))
	for k := range s.vals {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if !s.used[k] {
			return fmt.Errorf("%s: unknown setting %q", s.what, k)
		}
	}
	return nil
}

// encodeSlots writes every optimizer slot as "<variable>/<slot>", e.g.
// "dense/kernel/m". A model that has not trained yet has zero slots, as a
// fresh program does. The caller has synced the host copy.
func (m *Model) encodeSlots() ([]byte, error) {
	c := m.compiled
	ts := map[string]*tensor.Tensor{}
	for _, v := range m.Variables() {
		if !v.Trainable {
			continue
		}
		saved := c.slots[v]
		for i, s := range c.opt.slots() {
			shape := slotShape(c.opt, s, v.Shape)
			data := make([]float32, shape.Size())
			if i < len(saved) {
				data = saved[i]
			}
			ts[v.Name+"/"+s] = &tensor.Tensor{Shape: shape, Data: data}
		}
	}
	return encodeTensors(ts, map[string]string{"optimizer": c.opt.Name()})
}

// setSlots restores the optimizer slots from ts, which must hold exactly
// the slots of the compiled optimizer. path names the file in errors.
func (m *Model) setSlots(ts map[string]*tensor.Tensor, path string) error {
	c := m.compiled
	want := 0
	for _, v := range m.Variables() {
		if !v.Trainable {
			continue
		}
		var saved [][]float32
		for _, s := range c.opt.slots() {
			name, shape := v.Name+"/"+s, slotShape(c.opt, s, v.Shape)
			t := ts[name]
			if t == nil || !t.Shape.Equal(shape) {
				return fmt.Errorf("%s: %s slot %q missing or not of shape %v: the optimizer state belongs to a different model or optimizer",
					path, c.opt.Name(), name, shape)
			}
			saved = append(saved, append([]float32(nil), t.Data...))
			want++
		}
		c.slots[v] = saved
	}
	if len(ts) != want {
		return fmt.Errorf("%s holds %d tensors, the %s optimizer of this model has %d slots: the optimizer state belongs to a different model or optimizer",
			path, len(ts), c.opt.Name(), want)
	}
	return nil
}

// newHistoryJSON is h as a checkpoint records it.
func newHistoryJSON(h *History) checkpoint.History {
	out := checkpoint.History{Epoch: []int{}, Metrics: map[string][]checkpoint.Float{}, Seconds: []checkpoint.Float{}}
	if h == nil {
		return out
	}
	out.Epoch = append(out.Epoch, h.Epoch...)
	out.Seconds = checkpoint.Floats(h.Seconds)
	for k, v := range h.Metrics {
		out.Metrics[k] = checkpoint.Floats(v)
	}
	return out
}

// historyFromJSON is the History a checkpoint recorded.
func historyFromJSON(h checkpoint.History) *History {
	out := newHistory()
	out.Epoch = append(out.Epoch, h.Epoch...)
	out.Seconds = checkpoint.Plain(h.Seconds)
	for k, v := range h.Metrics {
		out.Metrics[k] = checkpoint.Plain(v)
	}
	return out
}

// Append adds the epochs of more (typically the History of a resumed Fit)
// after those of h. Both must come from the same compiled model, so they
// record the same metrics.
func (h *History) Append(more *History) {
	if more == nil {
		return
	}
	h.Epoch = append(h.Epoch, more.Epoch...)
	h.Seconds = append(h.Seconds, more.Seconds...)
	for k, v := range more.Metrics {
		h.Metrics[k] = append(h.Metrics[k], v...)
	}
}
