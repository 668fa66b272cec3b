package nn

import (
	"fmt"
	"math"
	"sort"
)

// LearningRateSchedule is Keras's keras.optimizers.schedules
// LearningRateSchedule: the learning rate as a function of the optimizer's
// step count. Give one to an optimizer's Schedule field; Fit then
// evaluates it on the host before every step, in float64, and rounds the
// result to the float32 the update uses.
type LearningRateSchedule interface {
	// At returns the rate of the update that follows step completed
	// updates (Keras's optimizer.iterations; 0 for the first update).
	At(step uint64) float64
	// Name is the Keras class name, e.g. "ExponentialDecay".
	Name() string
	// Config returns the schedule's settings under Keras's names.
	Config() map[string]any
}

// scheduled is implemented by optimizers that can follow a schedule.
type scheduled interface {
	schedule() LearningRateSchedule
}

// stepRate returns the learning rate of the update that follows
// iterations completed ones: the schedule's value, which also becomes the
// optimizer's current rate (LearningRate), or the constant rate.
func stepRate(opt Optimizer, iterations uint64) float32 {
	if s, ok := opt.(scheduled); ok && s.schedule() != nil {
		opt.SetLearningRate(float32(s.schedule().At(iterations)))
	}
	return opt.LearningRate()
}

// hasSchedule reports whether opt's rate comes from a schedule.
func hasSchedule(opt Optimizer) bool {
	s, ok := opt.(scheduled)
	return ok && s.schedule() != nil
}

// scheduleConfig is how Keras serializes a schedule given as an
// optimizer's learning_rate.
func scheduleConfig(s LearningRateSchedule) map[string]any {
	return map[string]any{"module": "keras.optimizers.schedules", "class_name": s.Name(), "config": s.Config(), "registered_name": nil}
}

// learningRateConfig is an optimizer's "learning_rate" setting: the
// schedule's config when it has one, else the constant.
func learningRateConfig(lr float32, s LearningRateSchedule) any {
	if s != nil {
		return scheduleConfig(s)
	}
	return lr
}

// ExponentialDecaySchedule is Keras's ExponentialDecay:
// initial * decay_rate ^ (step / decay_steps), the exponent floored when
// Staircase is set.
type ExponentialDecaySchedule struct {
	InitialLearningRate float64
	DecaySteps          int
	DecayRate           float64
	Staircase           bool
}

// ExponentialDecay returns Keras's ExponentialDecay(initial_learning_rate,
// decay_steps, decay_rate, staircase).
func ExponentialDecay(initial float64, decaySteps int, decayRate float64, staircase bool) *ExponentialDecaySchedule {
	return &ExponentialDecaySchedule{InitialLearningRate: initial, DecaySteps: decaySteps, DecayRate: decayRate, Staircase: staircase}
}

// At implements LearningRateSchedule.
func (s *ExponentialDecaySchedule) At(step uint64) float64 {
	p := float64(step) / float64(s.DecaySteps)
	if s.Staircase {
		p = math.Floor(p)
	}
	return s.InitialLearningRate * math.Pow(s.DecayRate, p)
}

// Name implements LearningRateSchedule.
func (s *ExponentialDecaySchedule) Name() string { return "ExponentialDecay" }

// Config implements LearningRateSchedule.
func (s *ExponentialDecaySchedule) Config() map[string]any {
	return map[string]any{"initial_learning_rate": s.InitialLearningRate, "decay_steps": s.DecaySteps,
		"decay_rate": s.DecayRate, "staircase": s.Staircase, "name": "ExponentialDecay"}
}

// CosineDecaySchedule is Keras 3's CosineDecay: an optional linear warmup
// from InitialLearningRate to WarmupTarget over WarmupSteps steps, then a
// cosine decay over DecaySteps steps from the warmup's target (or, without
// warmup, from InitialLearningRate) down to Alpha times it, held after.
//
// Keras's warmup_target=None is WarmupSteps 0 here. (Keras with a
// warmup_target but warmup_steps 0 decays from the target: set
// InitialLearningRate to the target for that.)
type CosineDecaySchedule struct {
	InitialLearningRate float64
	DecaySteps          int
	Alpha               float64
	WarmupTarget        float64
	WarmupSteps         int
}

// CosineDecay returns Keras's CosineDecay(initial_learning_rate,
// decay_steps, alpha, warmup_target, warmup_steps); warmupSteps 0 means no
// warmup (warmupTarget is then ignored).
func CosineDecay(initial float64, decaySteps int, alpha, warmupTarget float64, warmupSteps int) *CosineDecaySchedule {
	return &CosineDecaySchedule{InitialLearningRate: initial, DecaySteps: decaySteps, Alpha: alpha,
		WarmupTarget: warmupTarget, WarmupSteps: warmupSteps}
}

// At implements LearningRateSchedule, with Keras's formula.
func (s *CosineDecaySchedule) At(step uint64) float64 {
	t, decay := float64(step), float64(s.DecaySteps)
	if s.WarmupSteps <= 0 {
		return s.decayed(math.Min(t, decay), s.InitialLearningRate)
	}
	warm := float64(s.WarmupSteps)
	t = math.Min(t, decay+warm)
	if t < warm {
		return (s.WarmupTarget-s.InitialLearningRate)*(t/warm) + s.InitialLearningRate
	}
	return s.decayed(t-warm, s.WarmupTarget)
}

// decayed is Keras's _decay_function.
func (s *CosineDecaySchedule) decayed(t, from float64) float64 {
	cosine := 0.5 * (1 + math.Cos(math.Pi*t/float64(s.DecaySteps)))
	return from * ((1-s.Alpha)*cosine + s.Alpha)
}

// Name implements LearningRateSchedule.
func (s *CosineDecaySchedule) Name() string { return "CosineDecay" }

// Config implements LearningRateSchedule.
func (s *CosineDecaySchedule) Config() map[string]any {
	c := map[string]any{"initial_learning_rate": s.InitialLearningRate, "decay_steps": s.DecaySteps,
		"alpha": s.Alpha, "name": "CosineDecay", "warmup_target": nil, "warmup_steps": s.WarmupSteps}
	if s.WarmupSteps > 0 {
		c["warmup_target"] = s.WarmupTarget
	}
	return c
}

// PiecewiseConstantDecaySchedule is Keras's PiecewiseConstantDecay:
// Values[0] up to and including step Boundaries[0], Values[1] up to
// Boundaries[1], ..., and the last value after the last boundary.
type PiecewiseConstantDecaySchedule struct {
	Boundaries []int
	Values     []float64
}

// PiecewiseConstantDecay returns Keras's PiecewiseConstantDecay(boundaries,
// values); values must have one more element than boundaries.
func PiecewiseConstantDecay(boundaries []int, values []float64) *PiecewiseConstantDecaySchedule {
	return &PiecewiseConstantDecaySchedule{Boundaries: boundaries, Values: values}
}

// At implements LearningRateSchedule.
func (s *PiecewiseConstantDecaySchedule) At(step uint64) float64 {
	// The first boundary the step does not exceed picks the value.
	i := sort.Search(len(s.Boundaries), func(i int) bool { return step <= uint64(max(s.Boundaries[i], 0)) })
	return s.Values[i]
}

// Name implements LearningRateSchedule.
func (s *PiecewiseConstantDecaySchedule) Name() string { return "PiecewiseConstantDecay" }

// Config implements LearningRateSchedule.
func (s *PiecewiseConstantDecaySchedule) Config() map[string]any {
	return map[string]any{"boundaries": s.Boundaries, "values": s.Values, "name": "PiecewiseConstantDecay"}
}

// checkSchedule rejects a schedule no step can use, naming the setting.
func checkSchedule(s LearningRateSchedule) error {
	switch s := s.(type) {
	case *ExponentialDecaySchedule:
		if s.DecaySteps <= 0 {
			return fmt.Errorf("ExponentialDecay decay_steps %d must be positive", s.DecaySteps)
		}
		if !(s.InitialLearningRate > 0) || !(s.DecayRate > 0) {
			return fmt.Errorf("ExponentialDecay initial_learning_rate %v and decay_rate %v must be positive", s.InitialLearningRate, s.DecayRate)
		}
	case *CosineDecaySchedule:
		if s.DecaySteps <= 0 {
			return fmt.Errorf("CosineDecay decay_steps %d must be positive", s.DecaySteps)
		}
		if !(s.InitialLearningRate > 0) || s.Alpha < 0 || s.Alpha > 1 || (s.WarmupSteps > 0 && !(s.WarmupTarget > 0)) {
			return fmt.Errorf("CosineDecay: initial_learning_rate %v and warmup_target %v must be positive and alpha %v in [0, 1]",
				s.InitialLearningRate, s.WarmupTarget, s.Alpha)
		}
	case *PiecewiseConstantDecaySchedule:
		if len(s.Values) != len(s.Boundaries)+1 {
			return fmt.Errorf("PiecewiseConstantDecay: %d boundaries need %d values, got %d", len(s.Boundaries), len(s.Boundaries)+1, len(s.Values))
		}
		for i, b := range s.Boundaries {
			if b < 0 || (i > 0 && b <= s.Boundaries[i-1]) {
				return fmt.Errorf("PiecewiseConstantDecay: boundaries %v must be increasing and not negative", s.Boundaries)
			}
		}
		for _, v := range s.Values {
			if !(v > 0) {
				return fmt.Errorf("PiecewiseConstantDecay: values %v must be positive", s.Values)
			}
		}
	}
	return nil
}
