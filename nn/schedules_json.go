package nn

import (
	"encoding/json"
	"fmt"
	"strconv"
)

// learningRate reads an optimizer's "learning_rate": a constant, or a
// schedule serialized as Keras does ({"class_name": ..., "config": ...}).
func (s *settings) learningRate() (float32, LearningRateSchedule) {
	m, ok := s.vals["learning_rate"].(map[string]any)
	if !ok {
		return s.f32("learning_rate"), nil
	}
	s.used["learning_rate"] = true
	sched, err := scheduleFromJSON(m)
	if err != nil && s.err == nil {
		s.err = fmt.Errorf("%s: learning_rate: %w", s.what, err)
	}
	return 0, sched
}

// scheduleFromJSON rebuilds a schedule from Keras's serialization.
func scheduleFromJSON(v map[string]any) (LearningRateSchedule, error) {
	class, _ := v["class_name"].(string)
	cfg, ok := v["config"].(map[string]any)
	if !ok {
		return nil, fmt.Errorf("schedule %q has no config object", class)
	}
	r := &settings{what: "schedule " + class, vals: cfg, used: map[string]bool{"name": true}}
	var s LearningRateSchedule
	switch class {
	case "ExponentialDecay":
		s = &ExponentialDecaySchedule{InitialLearningRate: r.f64("initial_learning_rate"), DecaySteps: r.int("decay_steps"),
			DecayRate: r.f64("decay_rate"), Staircase: r.flag("staircase")}
	case "CosineDecay":
		c := &CosineDecaySchedule{InitialLearningRate: r.f64("initial_learning_rate"), DecaySteps: r.int("decay_steps"),
			Alpha: r.f64("alpha"), WarmupSteps: r.int("warmup_steps")}
		if r.get("warmup_target") != nil {
			c.WarmupTarget = r.f64("warmup_target")
		} else {
			c.WarmupSteps = 0 // Keras ignores warmup_steps without a target
		}
		s = c
	case "PiecewiseConstantDecay":
		p := &PiecewiseConstantDecaySchedule{}
		for _, b := range r.list("boundaries") {
			p.Boundaries = append(p.Boundaries, r.intOf("boundaries", b))
		}
		for _, x := range r.list("values") {
			p.Values = append(p.Values, r.f64Of("values", x))
		}
		s = p
	default:
		return nil, fmt.Errorf("schedule %q is not one of ExponentialDecay, CosineDecay, PiecewiseConstantDecay", class)
	}
	if err := r.done(); err != nil {
		return nil, err
	}
	return s, checkSchedule(s)
}

func (s *settings) f64(key string) float64 { return s.f64Of(key, s.get(key)) }

func (s *settings) f64Of(key string, v any) float64 {
	n, ok := v.(json.Number)
	f, err := strconv.ParseFloat(string(n), 64)
	if (!ok || err != nil) && s.err == nil {
		s.err = fmt.Errorf("%s: %q: want a number, got %v", s.what, key, v)
	}
	return f
}

func (s *settings) int(key string) int { return s.intOf(key, s.get(key)) }

func (s *settings) intOf(key string, v any) int {
	f := s.f64Of(key, v)
	if f != float64(int(f)) && s.err == nil {
		s.err = fmt.Errorf("%s: %q: want a whole number, got %v", s.what, key, v)
	}
	return int(f)
}

func (s *settings) list(key string) []any {
	l, ok := s.get(key).([]any)
	if !ok && s.err == nil {
		s.err = fmt.Errorf("%s: %q must be a list", s.what, key)
	}
	return l
}
