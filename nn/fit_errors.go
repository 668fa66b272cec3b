package nn

import "fmt"

// LossNotFinite is the error Fit returns when the loss becomes NaN or
// infinite: training has diverged, and the weights are no longer usable.
// It says where, so that a caller can report it and fall back to its last
// checkpoint.
type LossNotFinite struct {
	Epoch int     // 0-based epoch
	Step  int     // steps of that epoch done when the loss was seen
	Steps int     // steps per epoch
	Loss  float64 // the loss seen: NaN or ±Inf
}

func (e *LossNotFinite) Error() string {
	return fmt.Sprintf("the loss became %v in epoch %d at step %s: lower the learning rate or check the data",
		e.Loss, e.Epoch+1, stepOf(e.Step, e.Steps))
}

// stepOf shows step of steps: "5/7", or "5" while steps is unknown (0, a
// Source's first pass).
func stepOf(step, steps int) string {
	if steps <= 0 {
		return fmt.Sprint(step)
	}
	return fmt.Sprintf("%d/%d", step, steps)
}
